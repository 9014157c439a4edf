"""How every commerce platform's API client turns an HTTP answer into a value or a classified
`ProviderError`, so the clients agree and the activities classify their errors in one way:

- 404 is the permanent `not_found` (the platform has no such order, cart, case …); its message
  carries what the platform itself said, read from its own error body;
- other failures as `connectors.errors.raise_for_provider_status` says (408, 429 and 5xx transient,
  honouring `Retry-After`; other 4xx permanent);
- a 2xx whose body cannot be read is the permanent `<Provider>InvalidResponse`;
- a store the configuration does not know is the permanent `<Provider>NotConfigured`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from connectors.errors import ProviderError, kind_prefix, raise_for_provider_status
from connectors.wire import describe

NOT_FOUND = "not_found"
DETAIL_CHARS = 200  # of a raw error body, when the platform's own message cannot be read from it

_T = TypeVar("_T")
_Model = TypeVar("_Model", bound=BaseModel)


def invalid_response(provider: str, message: str) -> ProviderError:
    # A 2xx we cannot read will not read better on retry.
    return ProviderError(
        message, provider=provider, kind=f"{kind_prefix(provider)}InvalidResponse", transient=False
    )


def not_configured(provider: str, message: str) -> ProviderError:
    # Configuration, not the network: retrying will not help.
    return ProviderError(
        message, provider=provider, kind=f"{kind_prefix(provider)}NotConfigured", transient=False
    )


def configured(lookup: Callable[[str], _T], store: str, provider: str) -> _T:
    """`lookup(store)` (a store's settings or token); its `LookupError` becomes `NotConfigured`."""
    try:
        return lookup(store)
    except LookupError as exc:
        raise not_configured(provider, str(exc)) from exc


def not_found(provider: str, message: str) -> ProviderError:
    return ProviderError(message, provider=provider, kind=NOT_FOUND, transient=False, status=404)


ErrorText = Callable[[Any], str | None]  # a platform's message out of its JSON error body, if it has one


def raise_for_status(response: httpx.Response, provider: str, error_text: ErrorText) -> None:
    """Raise a classified `ProviderError` for any non-2xx answer."""
    if response.status_code == 404:
        where = f"{response.request.method} {response.request.url.path}"
        detail = error_detail(response, error_text)
        raise not_found(provider, f"{provider} answered 404 for {where}: {detail}")
    raise_for_provider_status(response, provider)


def error_detail(response: httpx.Response, error_text: ErrorText) -> str:
    """What the platform says went wrong: its message from the JSON error body, else the start of
    the body as it came."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:DETAIL_CHARS]
    text = error_text(body)
    return text if text is not None else response.text[:DETAIL_CHARS]


def json_answer(response: httpx.Response, provider: str) -> Any:
    """The JSON of a successful answer; None when it has no body (204, or empty)."""
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        where = f"{response.request.method} {response.request.url.path}"
        raise invalid_response(
            provider, f"{where} answered {response.status_code} with a body that is not JSON"
        ) from None


def parse_answer(model: type[_Model], value: Any, what: str, provider: str) -> _Model:
    """Validate an API answer; a shape we cannot read is the permanent `InvalidResponse`."""
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise invalid_response(provider, f"unexpected {what} shape: {describe(exc)}") from None
