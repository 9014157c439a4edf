"""One translation from connector errors to Temporal's retry semantics."""

from __future__ import annotations

from datetime import timedelta

from temporalio.exceptions import ApplicationError

from connectors.errors import ProviderError


def to_application_error(exc: ProviderError) -> ApplicationError:
    """Transient errors stay retryable (honouring Retry-After); permanent ones stop retries and carry
    a `type` the workflow can branch on."""
    delay = timedelta(seconds=exc.retry_after) if exc.retry_after is not None else None
    return ApplicationError(
        str(exc),
        {"provider": exc.provider, "status": exc.status},
        type=exc.kind,
        non_retryable=not exc.transient,
        next_retry_delay=delay,
    )


def unsupported_platform(platform: str) -> ApplicationError:
    """A platform this deployment has no client for yet: permanent, retrying will not help."""
    return to_application_error(
        ProviderError(
            f"no client for {platform} yet", provider=platform, kind="UnsupportedPlatform", transient=False
        )
    )
