"""SFCC reads (hydration) and writes (callbacks): OCAPI's Shop API and Service Cloud's REST API.

Authentication is Account Manager's OAuth client credentials (`token_url`, `client_id`,
`client_secret`); the token is cached until shortly before it expires and fetched again after a 401
(`connectors.opentext.auth.TokenProvider`, which is generic OAuth client credentials). Service Cloud
has its own org and OAuth client; without `service_cloud_token_url` the Account Manager token is
sent there too (what the sandbox accepts).

Reads, all under `/s/{site}/dw/shop/{api_version}`:
- `GET /orders/{order_no}`, `GET /baskets/{basket_id}`: mapped by `documents.py`.
- `GET /products/{id}?expand=availability,prices`: catalog facts; `inventory.ats` is the stock.
- purchased_since: `POST /order_search` (the Shop API's order search, site-scoped, the same
  credentials; the Data API has no order search per site). The query selects the customers' orders
  (`customer_no` one of the ids) created since the date; the SKU and the status (placed orders only:
  not failed, cancelled or replaced) are checked here, since product ids are not a search field.

Writes, idempotent so a retried activity changes nothing more:
- order notes: `POST /orders/{order_no}/notes {subject, text}`, skipped when a note with the same
  text is already there (`GET /orders/{order_no}/notes`).
- cancel: `PATCH /orders/{order_no} {"status": "cancelled"}` (skipped when already cancelled; SFCC
  returns a cancelled order's items to inventory), then the note saying why.
- case comments: the Case is found by its `CaseNumber` (our case id) with SOQL, its comments are
  read, and `POST /services/data/{v}/sobjects/CaseComment {ParentId, CommentBody}` only adds one
  whose text is not there yet. A case Service Cloud does not have (e.g. the order journey's
  "order-{order_no}" conversation) is written as an order note instead, when the order is known.

Errors as `connectors.http_errors` classifies them: 404 is `ProviderError(kind="not_found")`
(permanent); 408, 429 and 5xx are transient and honour `Retry-After`; other 4xx are permanent.
OCAPI's fault type and message go into the error.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from connectors.errors import ProviderError, kind_prefix, transport_error
from connectors.http_errors import (
    NOT_FOUND,
    configured,
    invalid_response,
    json_answer,
    parse_answer,
    raise_for_status,
)
from connectors.opentext.auth import TokenProvider
from connectors.sfcc.documents import (
    PROVIDER,
    BasketDocument,
    Doc,
    OrderDocument,
    ProductDocument,
    cart_snapshot,
    customer_key,
    order_snapshot,
    product_info,
)
from connectors.sfcc.status_map import DEFAULT_PICKUP_METHODS, PickupMethods
from connectors.wire import aware
from domain.events import Platform
from domain.notifications import CartSnapshot, OrderSnapshot, ProductInfo, Recipient

SEARCH_PAGE = 200  # OCAPI's maximum `count` for searches
MAX_SEARCH_PAGES = 50
MAX_COMMENT = 4000  # CaseComment.CommentBody's length
UNPLACED = frozenset({"failed", "created", "cancelled", "replaced"})
PRODUCT_EXPAND = "availability,prices"

_Document = TypeVar("_Document", bound=Doc)


class SfccApiConfig(BaseModel):
    """How to reach one site's OCAPI (and the Service Cloud org its cases live in)."""

    model_config = ConfigDict(frozen=True)

    base_url: str  # OCAPI host root, e.g. https://zzxy-001.dx.commercecloud.salesforce.com
    api_version: str = "v24_5"
    client_id: str
    client_secret: SecretStr
    token_url: str = "https://account.demandware.com/dwsso/oauth2/access_token"
    service_cloud_url: str | None = None  # the org's instance URL, e.g. https://acme.my.salesforce.com
    service_cloud_api_version: str = "v60.0"
    service_cloud_token_url: str | None = None  # None: the Account Manager token is used
    service_cloud_client_id: str | None = None
    service_cloud_client_secret: SecretStr | None = None
    pickup_methods: PickupMethods = Field(default_factory=lambda: DEFAULT_PICKUP_METHODS)
    note_subject: str = "Tidings"


class _Note(Doc):
    text: str | None = None


class _Notes(Doc):
    notes: list[_Note] = Field(default_factory=list)


class _Hit(Doc):
    data: OrderDocument


class _SearchResult(Doc):
    hits: list[_Hit] = Field(default_factory=list)
    total: int = 0


class SfccClient:
    """`CommercePlatformClient` for B2C Commerce; `config(site)` says how to reach each site."""

    platform = Platform.SFCC

    def __init__(self, http: httpx.AsyncClient, config: Callable[[str], SfccApiConfig]) -> None:
        self._http = http
        self._config = config
        self._token_providers: dict[tuple[str, str, str], TokenProvider] = {}

    # ---- reads ----------------------------------------------------------------------------------

    async def fetch_order_snapshot(self, store: str, order_id: str) -> OrderSnapshot:
        config = self._site(store)
        order = _parse(OrderDocument, await self.get_order(store, order_id), "order")
        return order_snapshot(store, order, pickup_methods=config.pickup_methods)

    async def fetch_customer(self, store: str, customer_id: str) -> Recipient | None:
        return None  # the cartridge's account events carry the customer profile (account_events.py)

    async def get_order(self, store: str, order_no: str) -> dict[str, Any]:
        return _object(await self._shop("GET", store, f"/orders/{_seg(order_no)}"), "order")

    async def fetch_cart_snapshot(self, store: str, cart_id: str) -> CartSnapshot:
        body = _object(await self._shop("GET", store, f"/baskets/{_seg(cart_id)}"), "basket")
        return cart_snapshot(store, _parse(BasketDocument, body, "basket"))

    async def fetch_products(self, store: str, product_ids: list[str]) -> list[ProductInfo]:
        """In the order asked; products the catalog no longer has are left out."""
        wanted = list(dict.fromkeys(str(i).strip() for i in product_ids if str(i).strip()))
        found: list[ProductInfo] = []
        for product_id in wanted:
            try:
                product = await self._product(store, product_id)
            except ProviderError as exc:
                if exc.kind == NOT_FOUND:
                    continue
                raise
            found.append(product_info(product))
        return found

    async def fetch_stock(self, store: str, sku: str) -> int | None:
        inventory = (await self._product(store, sku)).inventory
        if inventory is None or inventory.ats is None:
            return None  # the product has no inventory record: not tracked
        return max(0, int(inventory.ats))

    async def fetch_price(self, store: str, sku: str) -> Decimal | None:
        return (await self._product(store, sku)).price

    async def purchased_since(
        self, store: str, sku: str, customer_ids: list[str], since: datetime
    ) -> list[str]:
        wanted = list(dict.fromkeys(c for c in customer_ids if c))
        if not wanted:
            return []
        since = aware(since)
        query = {
            "filtered_query": {
                "query": {"term_query": {"fields": ["customer_no"], "operator": "one_of", "values": wanted}},
                "filter": {
                    "range_filter": {
                        "field": "creation_date",
                        "from": since.astimezone(UTC)
                        .isoformat(timespec="milliseconds")
                        .replace("+00:00", "Z"),
                        "from_inclusive": True,
                    }
                },
            }
        }
        buyers: set[str] = set()
        for page in range(MAX_SEARCH_PAGES):
            body = {"query": query, "start": page * SEARCH_PAGE, "count": SEARCH_PAGE}
            result = _parse(
                _SearchResult, await self._shop("POST", store, "/order_search", json=body), "order search"
            )
            for hit in result.hits:
                order = hit.data
                who = customer_key(order.customer_info.customer_no, order.customer_info.customer_id)
                created = order.creation_date
                if (
                    who in wanted
                    and order.status not in UNPLACED
                    and (created is None or aware(created) >= since)
                    and any(item.product_id == sku for item in order.product_items)
                ):
                    buyers.add(who)
            if not result.hits or (page + 1) * SEARCH_PAGE >= result.total:
                break
        return [c for c in wanted if c in buyers]

    # ---- writes ---------------------------------------------------------------------------------

    async def add_order_note(self, store: str, order_id: str, note: str) -> None:
        text = note.strip()
        if not text:
            return
        path = f"/orders/{_seg(order_id)}/notes"
        notes = _parse(_Notes, await self._shop("GET", store, path) or {}, "order notes")
        if any((n.text or "").strip() == text for n in notes.notes):
            return  # a retry of a write that landed
        subject = self._site(store).note_subject
        await self._shop("POST", store, path, json={"subject": subject, "text": text})

    async def cancel_and_restock(self, store: str, order_id: str, note: str) -> None:
        order = _parse(OrderDocument, await self.get_order(store, order_id), "order")
        if order.status != "cancelled":
            await self._shop("PATCH", store, f"/orders/{_seg(order_id)}", json={"status": "cancelled"})
        await self.add_order_note(store, order_id, note)

    async def add_case_comment(self, store: str, case_id: str, order_id: str | None, text: str) -> str:
        config = self._site(store)
        body = text.strip()[:MAX_COMMENT]
        parent = await self._case_record_id(config, case_id) if config.service_cloud_url else None
        if parent is None:
            if order_id:
                await self.add_order_note(store, order_id, f"[case {case_id}] {body}")
                return f"note on order {order_id} (no Service Cloud case {case_id})"
            raise ProviderError(
                f"Service Cloud has no case {case_id}", provider=PROVIDER, kind=NOT_FOUND, transient=False
            )
        comments = await self._soql(
            config, f"SELECT Id, CommentBody FROM CaseComment WHERE ParentId = '{_soql_text(parent)}'"
        )
        if not any((c.get("CommentBody") or "").strip() == body for c in comments):
            await self._service_cloud(
                config, "POST", "/sobjects/CaseComment", json={"ParentId": parent, "CommentBody": body}
            )
        return f"comment on case {case_id}"

    # ---- plumbing -------------------------------------------------------------------------------

    def _site(self, store: str) -> SfccApiConfig:
        return configured(self._config, store, PROVIDER)

    async def _product(self, store: str, product_id: str) -> ProductDocument:
        body = await self._shop(
            "GET", store, f"/products/{_seg(product_id)}", params={"expand": PRODUCT_EXPAND}
        )
        return _parse(ProductDocument, _object(body, "product"), "product")

    async def _case_record_id(self, config: SfccApiConfig, case_number: str) -> str | None:
        records = await self._soql(
            config, f"SELECT Id FROM Case WHERE CaseNumber = '{_soql_text(case_number)}'"
        )
        record_id = records[0].get("Id") if records else None
        return record_id if isinstance(record_id, str) and record_id else None

    async def _soql(self, config: SfccApiConfig, soql: str) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        body = await self._service_cloud(config, "GET", "/query", params={"q": soql})
        for _ in range(MAX_SEARCH_PAGES):
            if not isinstance(body, dict) or not isinstance(body.get("records"), list):
                raise invalid_response(PROVIDER, "Service Cloud query answered without a records list")
            records.extend(r for r in body["records"] if isinstance(r, dict))
            next_url = body.get("nextRecordsUrl")
            if body.get("done", True) or not isinstance(next_url, str):
                break
            assert config.service_cloud_url is not None
            body = await self._call(
                "GET", config.service_cloud_url.rstrip("/") + next_url, self._cloud_tokens(config)
            )
        return records

    async def _shop(
        self, method: str, store: str, path: str, *, json: Any = None, params: dict[str, str] | None = None
    ) -> Any:
        config = self._site(store)
        url = f"{config.base_url.rstrip('/')}/s/{_seg(store)}/dw/shop/{config.api_version}{path}"
        tokens = self._tokens(config.token_url, config.client_id, config.client_secret)
        headers = {"x-dw-client-id": config.client_id}
        return await self._call(method, url, tokens, json=json, params=params, headers=headers)

    async def _service_cloud(
        self,
        config: SfccApiConfig,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        assert config.service_cloud_url is not None
        url = f"{config.service_cloud_url.rstrip('/')}/services/data/{config.service_cloud_api_version}{path}"
        return await self._call(method, url, self._cloud_tokens(config), json=json, params=params)

    def _cloud_tokens(self, config: SfccApiConfig) -> TokenProvider:
        if config.service_cloud_token_url and config.service_cloud_client_id:
            secret = config.service_cloud_client_secret or SecretStr("")
            return self._tokens(config.service_cloud_token_url, config.service_cloud_client_id, secret)
        return self._tokens(config.token_url, config.client_id, config.client_secret)

    def _tokens(self, token_url: str, client_id: str, secret: SecretStr) -> TokenProvider:
        key = (token_url, client_id, secret.get_secret_value())
        provider = self._token_providers.get(key)
        if provider is None:
            provider = TokenProvider(
                self._http, token_url=token_url, client_id=client_id, client_secret=secret.get_secret_value()
            )
            self._token_providers[key] = provider
        return provider

    async def _call(
        self,
        method: str,
        url: str,
        tokens: TokenProvider,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """One call, with one fresh-token retry after a 401. None for an empty answer."""
        for attempt in (1, 2):
            authorization = await _authorization(tokens)
            request_headers = {
                "Authorization": authorization,
                "Accept": "application/json",
                **(headers or {}),
            }
            try:
                response = await self._http.request(
                    method, url, json=json, params=params, headers=request_headers
                )
            except httpx.HTTPError as exc:
                raise transport_error(exc, PROVIDER) from exc
            if response.status_code == 401 and attempt == 1:
                tokens.invalidate(authorization)  # expired or revoked early: one new token, one retry
                continue
            raise_for_status(response, PROVIDER, _fault)
            return json_answer(response, PROVIDER)
        raise AssertionError("unreachable")  # pragma: no cover


async def _authorization(tokens: TokenProvider) -> str:
    try:
        return await tokens.authorization()
    except ProviderError as exc:
        # The shared OAuth helper names itself in its errors; these are SFCC's.
        raise ProviderError(
            f"SFCC token endpoint: {exc}",
            provider=PROVIDER,
            kind=kind_prefix(PROVIDER) + "Token" + exc.kind.removeprefix("OpenText"),
            transient=exc.transient,
            status=exc.status,
            retry_after=exc.retry_after,
        ) from exc


def _fault(body: Any) -> str | None:
    """OCAPI's `{"fault": {"type", "message"}}` or Service Cloud's `[{"errorCode", "message"}]`."""
    if isinstance(body, dict) and isinstance(body.get("fault"), dict):
        fault = body["fault"]
        return f"{fault.get('type', 'fault')}: {fault.get('message', '')}".strip()
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return f"{body[0].get('errorCode', 'error')}: {body[0].get('message', '')}".strip()
    return None


def _parse(model: type[_Document], value: Any, what: str) -> _Document:
    return parse_answer(model, value, what, PROVIDER)


def _object(body: Any, what: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid_response(PROVIDER, f"{what} is not a JSON object")
    return body


def _seg(value: str) -> str:
    # Ids come from webhooks: never let one change the path.
    return quote(str(value), safe="")


def _soql_text(value: str) -> str:
    # SOQL string literal escaping: a case number must not end the literal.
    return value.replace("\\", "\\\\").replace("'", "\\'")
