"""Error answers in each imitated API's own style, and an exception that carries one out of a
dependency or helper so handlers stay linear."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response


class Reject(Exception):
    """Raised anywhere in a request; the app's handler answers with `response` as is."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def opentext_error(status: int, message: str, details: Any = None) -> Reject:
    # OpenText's error body is not documented (reference/opentext.md): a JSON object naming the
    # problem is what our client needs, since it only looks at the status.
    body: dict[str, Any] = {"status": status, "message": message}
    if details is not None:
        body["details"] = details
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return Reject(JSONResponse({"error": body}, status_code=status, headers=headers))


def bigcommerce_error(status: int, message: str) -> Reject:
    # BigCommerce's V2 API answers errors as a list of {status, message}.
    return Reject(JSONResponse([{"status": status, "message": message}], status_code=status))


async def reject_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Reject)
    return exc.response
