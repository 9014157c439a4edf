"""The OpenText Cloud Messaging API client: one method per call the delivery activity makes.

Errors come out classified (`connectors.errors.ProviderError`): 408/429/5xx and transport failures
are transient, other 4xx permanent. Retrying is the activity's job (Temporal's retry policy), so
the only retry here is the one that is not a retry of the send at all: a 401 means our cached token
went stale, so the token is refreshed and the call repeated once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from connectors.errors import ProviderError, raise_for_provider_status, transport_error
from connectors.opentext.auth import PROVIDER, TokenProvider, error_kind
from connectors.opentext.payloads import PushMessage, email_body, push_request, sms_body
from domain.notifications import Channel
from domain.settings import Settings
from domain.store_config import OpenTextAccount

SUBMIT_ID_HEADER = "X-MRA-SubmitId"

_STATUS_PATHS = {Channel.SMS: "/outbound/sms/status", Channel.EMAIL: "/outbound/emails/status"}
# Looking a job up by the reference we submitted it with. [unverified]: OpenText documents the status
# calls by job_id only; by customer_reference, and a status call for parser (push) jobs, are assumed.
_LOOKUP_PATHS = {**_STATUS_PATHS, Channel.PUSH: "/utils/parser/status"}
_ADDRESS_FIELDS = {Channel.SMS: "sms", Channel.EMAIL: "email", Channel.PUSH: "token"}


# How long a retry waits after a send whose outcome we never heard (read timeout, connection dropped
# after the request went out, gateway timeout) before it looks the job up: OpenText's own processing
# of the request must be over by then. Refusals (429, 5xx answers) and failed connects retry sooner.
OUTCOME_SETTLE_SECONDS = 15.0
_NEVER_ARRIVED = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _may_have_been_accepted(exc: ProviderError) -> bool:
    cause = exc.__cause__
    if isinstance(cause, httpx.TransportError):
        return not isinstance(cause, _NEVER_ARRIVED)
    return exc.status == 504


@dataclass(frozen=True)
class FoundJob:
    """A job OpenText accepted under one of our references."""

    channel: Channel
    job_id: str
    address: str | None  # the destination as OpenText recorded it, when the document says


class OpenTextClient:
    """`base_url` is the API root ending in `/mra/v1`. The `http` client is shared per worker and
    owned by the caller (who sets its timeouts and closes it)."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, tokens: TokenProvider) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._tokens = tokens

    @classmethod
    def from_settings(cls, http: httpx.AsyncClient, settings: Settings) -> OpenTextClient:
        """Basic auth when `TIDINGS_OPENTEXT_USERNAME` is set, else OAuth client credentials."""
        return cls.from_account(
            http,
            OpenTextAccount(
                base_url=settings.opentext_base_url,
                token_url=settings.opentext_token_url,
                client_id=settings.opentext_client_id,
                client_secret=settings.opentext_client_secret,
                username=settings.opentext_username,
                password=settings.opentext_password,
            ),
        )

    @classmethod
    def from_account(cls, http: httpx.AsyncClient, account: OpenTextAccount) -> OpenTextClient:
        """One OpenText account (a store's own, from the stores file, or the global one)."""
        if account.username:
            password = account.password.get_secret_value() if account.password else ""
            tokens = TokenProvider(http, username=account.username, password=password)
        else:
            if not account.token_url or not account.client_id or account.client_secret is None:
                raise ValueError("an OpenText account needs username/password or token_url/client_id/secret")
            tokens = TokenProvider(
                http,
                token_url=account.token_url,
                client_id=account.client_id,
                client_secret=account.client_secret.get_secret_value(),
            )
        return cls(http, account.base_url, tokens)

    async def send_sms(self, to: str, text: str, key: str) -> str:
        """Submit one SMS; returns OpenText's job id."""
        return await self._submit("/outbound/sms", sms_body(to, text, key), key)

    async def send_email(
        self,
        to: str,
        subject: str,
        html: str | None,
        text: str,
        key: str,
        *,
        display_to: str | None = None,
        from_name: str | None = None,
    ) -> str:
        """Submit one email (plain text always, HTML when given); returns OpenText's job id."""
        body = email_body(to, display_to, subject, html, text, key, from_name)
        return await self._submit("/outbound/emails", body, key)

    async def send_push(self, message: PushMessage) -> str:
        """Submit one push notification through the parser endpoint; returns OpenText's job id."""
        return await self._submit("/utils/parser", push_request(message), message.key)

    async def get_status(self, channel: Channel, job_id: str) -> dict[str, Any]:
        """The status document of a submitted job (SMS or email; push has no status call)."""
        path = _STATUS_PATHS.get(channel)
        if path is None:
            raise ValueError(f"OpenText has no status call for {channel.value}")
        response = await self._request("GET", path, params={"job_id": job_id})
        return self._json(response)

    async def find_job(self, channel: Channel, reference: str) -> FoundJob | None:
        """The job submitted on `channel` with `reference` as customer reference / submit id, or None
        when OpenText has none (a 404). How a retry learns that a send whose answer was lost went out."""
        try:
            response = await self._request(
                "GET", _LOOKUP_PATHS[channel], params={"customer_reference": reference}
            )
        except ProviderError as exc:
            if exc.status == 404:
                return None
            raise
        document = self._json(response)
        job_id = document.get("job_id")
        if not isinstance(job_id, str) or not job_id:
            raise ProviderError(
                f"{PROVIDER} status for reference {reference} has no job_id",
                provider=PROVIDER,
                kind=error_kind("BadResponse"),
                transient=False,
                status=response.status_code,
            )
        deliveries = document.get("deliveries")
        first = deliveries[0] if isinstance(deliveries, list) and deliveries else None
        address = first.get(_ADDRESS_FIELDS[channel]) if isinstance(first, dict) else None
        return FoundJob(channel, job_id, address if isinstance(address, str) else None)

    async def _submit(self, path: str, body: dict[str, Any], key: str) -> str:
        try:
            response = await self._request("POST", path, json=body, headers={SUBMIT_ID_HEADER: key})
        except ProviderError as exc:
            if not _may_have_been_accepted(exc):
                raise
            # The retry looks the job up by our key before sending again; it waits first, so that
            # OpenText has finished with this request by then (else the lookup could miss a job
            # still being accepted and the retry would send a second message).
            raise ProviderError(
                f"{PROVIDER} may have accepted {path} without our hearing back: {exc}",
                provider=PROVIDER,
                kind=error_kind("OutcomeUnknown"),
                transient=True,
                status=exc.status,
                retry_after=OUTCOME_SETTLE_SECONDS,
            ) from exc
        job_id = self._json(response).get("job_id")
        if not isinstance(job_id, str) or not job_id:
            # Permanent on purpose: OpenText may have accepted the message, and a retry would send
            # it a second time. Better a visible failure than a duplicate.
            raise ProviderError(
                f"{PROVIDER} accepted {path} without a job_id: {response.text[:200]}",
                provider=PROVIDER,
                kind=error_kind("BadResponse"),
                transient=False,
                status=response.status_code,
            )
        return job_id

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        url = self._base_url + path
        response: httpx.Response | None = None
        for _ in range(2):
            authorization = await self._tokens.authorization()
            try:
                response = await self._http.request(
                    method,
                    url,
                    json=json,
                    params=params,
                    headers={**(headers or {}), "Authorization": authorization, "Accept": "application/json"},
                )
            except httpx.TransportError as exc:
                raise transport_error(exc, PROVIDER) from exc
            if response.status_code != 401 or self._tokens.uses_basic:
                break
            # A stale or revoked token: a 401 is a rejection before any processing, so sending
            # again with a fresh token cannot duplicate the message.
            self._tokens.invalidate(authorization)
        assert response is not None
        raise_for_provider_status(response, PROVIDER)
        return response

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ProviderError(
                f"{PROVIDER} answered {response.status_code} with a body that is not a JSON object: "
                f"{response.text[:200]}",
                provider=PROVIDER,
                kind=error_kind("BadResponse"),
                transient=False,
                status=response.status_code,
            )
        return body
