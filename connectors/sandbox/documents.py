"""What every commerce platform's stand-in in the sandbox does with the documents it holds, whatever
the platform: its state created on first use, JSON bodies read, documents seeded, read (or answered
"not found" in the platform's own error style), forgotten, and faults injected into the next calls.

Each stand-in keeps its own routes, error bodies and document shapes; only the plumbing is here.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request

from connectors.sandbox.rejections import Reject

_K = TypeVar("_K")
_V = TypeVar("_V")
_T = TypeVar("_T")


def state_on(request: Request, name: str, factory: Callable[[], _T]) -> _T:
    """The stand-in's state on `app.state.<name>`, created on first use: any app that includes the
    stand-in's router starts with an empty platform."""
    state: _T | None = getattr(request.app.state, name, None)
    if state is None:
        state = factory()
        setattr(request.app.state, name, state)
    return state


async def json_object(request: Request, reject: Callable[[str], Reject]) -> dict[str, Any]:
    """The request body as a JSON object; otherwise `reject(message)`, the platform's 400."""
    try:
        body = json.loads(await request.body())
    except ValueError as exc:  # JSONDecodeError, or UnicodeDecodeError for bytes that are not UTF-8
        raise reject(f"The request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise reject("The request body must be a JSON object.")
    return body


def seeded(docs: MutableMapping[_K, dict[str, Any]], key: _K, doc: dict[str, Any]) -> dict[str, Any]:
    """Keep `doc` under `key` (replacing what was there) and answer with a copy of it."""
    docs[key] = doc
    return copy.deepcopy(doc)


def stored(docs: Mapping[_K, _V], key: _K, missing: Callable[[], Reject]) -> _V:
    """The document under `key`, or `missing()`: the platform's own 404."""
    doc = docs.get(key)
    if doc is None:
        raise missing()
    return doc


def forget(docs: MutableMapping[_K, Any], key: _K) -> dict[str, int]:
    """Drop a seeded document (as when the platform deletes it); the answer says whether one was there."""
    return {"deleted": 1 if docs.pop(key, None) is not None else 0}


def bearer_valid(request: Request, tokens: Mapping[str, float]) -> bool:
    """Whether the request carries a bearer token this stand-in issued that has not expired
    (`tokens`: token → monotonic expiry)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    expires = tokens.get(token.strip()) if scheme.lower() == "bearer" else None
    return expires is not None and time.monotonic() < expires


@dataclass
class PathFault:
    """The next `times` API calls whose path contains `path_contains` answer `status`."""

    status: int
    times: int = 1
    retry_after: int | None = None
    path_contains: str = ""

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}


def parse_faults(body: bytes) -> list[PathFault]:
    """`[{"status": 503, "times": 2, "retry_after": 1, "path_contains": "/orders/"}]`; `[]` clears.
    Raises ValueError (not JSON) or TypeError (not a list of such objects)."""
    return [PathFault(**item) for item in json.loads(body)]


def take_fault(faults: list[PathFault], path: str) -> PathFault | None:
    """The first fault set for `path` that has calls left, one call used up; None when none is."""
    for fault in faults:
        if fault.times > 0 and fault.path_contains in path:
            fault.times -= 1
            if fault.times == 0:
                faults.remove(fault)  # spent: the loop ends here, so removing is safe
            return fault
    return None
