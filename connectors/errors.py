"""Errors every connector raises, so the ingress and the activities classify them in one place."""

from __future__ import annotations

import httpx


class WebhookAuthError(Exception):
    """The request is not authentic (missing, wrong or stale signature / credentials): HTTP 401."""


class WebhookPayloadError(Exception):
    """The body is not JSON or not a shape we know: HTTP 400 with this message."""


class ProviderError(Exception):
    """A call to OpenText or a platform API failed. `transient` errors are worth retrying
    (408, 429, 5xx, timeouts); the others are permanent. `kind` is a stable name that becomes the
    `ApplicationError` type a workflow can branch on."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        kind: str,
        transient: bool,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.kind = kind
        self.transient = transient
        self.status = status
        self.retry_after = retry_after


TRANSIENT_STATUSES = frozenset({408, 429})


def kind_prefix(provider: str) -> str:
    """What every `ProviderError.kind` of this provider starts with: "SAP Commerce" → "SAPCommerce"."""
    return provider.replace(" ", "")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare enough that the default backoff is fine


def raise_for_provider_status(response: httpx.Response, provider: str) -> None:
    """Raise a classified `ProviderError` for any non-2xx response."""
    if response.is_success:
        return
    status = response.status_code
    transient = status in TRANSIENT_STATUSES or status >= 500
    kind = {429: "Throttled", 408: "Timeout", 404: "NotFound", 401: "Unauthorized", 403: "Forbidden"}.get(
        status, "ServerError" if status >= 500 else "Rejected"
    )
    detail = response.text[:300]
    raise ProviderError(
        f"{provider} answered {status} for {response.request.method} {response.request.url.path}: {detail}",
        provider=provider,
        kind=f"{kind_prefix(provider)}{kind}",
        transient=transient,
        status=status,
        retry_after=_retry_after(response) if transient else None,
    )


def transport_error(exc: httpx.HTTPError, provider: str) -> ProviderError:
    """Timeouts and connection failures are always transient."""
    return ProviderError(
        f"{provider} unreachable: {type(exc).__name__}: {exc}",
        provider=provider,
        kind=f"{kind_prefix(provider)}Unreachable",
        transient=True,
    )
