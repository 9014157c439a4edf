"""SAP Commerce Cloud reads and writes that hydration and callbacks need.

Reads go through the Integration API (OData v2, `/odata2webservices/<IO>/<Item>s`) with the same
`Tidings*` integration objects the webhooks use, with Basic credentials of an integration user:
orders, carts and return requests by `$filter` on their code and base site (codes are unique in
SAP, but the base site is our store and must match), products by code in the configured catalog
version, stock levels by product code (summed over warehouses).

Writes:
- a note on an order, or a comment on a return request (a service case): a `Comment` posted
  through the inbound IOs `TidingsOrderComment` / `TidingsReturnRequestComment`. Its code is a hash
  of the target and the text, and an existing comment with that code is left alone, so a retried
  write leaves one comment.
- cancel and restock: OCC's `POST /occ/v2/{site}/users/{uid}/orders/{code}/cancellation` with
  every entry, which runs SAP's order-cancel process (it puts the stock back); OCC takes an OAuth
  token of a trusted client (client credentials). An order already CANCELLED or CANCELLING is not
  cancelled again. (An OData write of the status would skip the cancel process, and the restock.)

Configuration, transport and the OCC token live in api_session.py. Errors as
`connectors.http_errors` classifies them: 404 → `ProviderError(kind="not_found")`,
permanent; 408, 429 and 5xx are transient (honouring `Retry-After`); other 4xx are permanent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote

from connectors.errors import WebhookPayloadError
from connectors.http_errors import invalid_response, not_found, parse_answer
from connectors.sap_commerce.api_session import OCC_ROOT, PROVIDER, SapApiSession, require_occ_client
from connectors.sap_commerce.api_session import ODATA_ROOT as ODATA_ROOT
from connectors.sap_commerce.api_session import TOKEN_MARGIN_SECONDS as TOKEN_MARGIN_SECONDS
from connectors.sap_commerce.api_session import SapApiConfig as SapApiConfig
from connectors.sap_commerce.catalog_documents import FORCE_IN_STOCK, SapProduct, SapStockLevel
from connectors.sap_commerce.document_mapping import (
    available_to_sell,
    cart_snapshot,
    customer_id_of,
    order_snapshot,
    product_info,
)
from connectors.sap_commerce.item_json import SapWire, odata_entity
from connectors.sap_commerce.order_documents import SapCart, SapOrder
from connectors.sap_commerce.return_documents import SapReturnRequest
from connectors.wire import aware
from domain.events import Platform
from domain.notifications import CartSnapshot, OrderSnapshot, ProductInfo, Recipient

ORDER_EXPAND = ",".join(
    (
        "status",
        "user",
        "user/groups",
        "paymentAddress",
        "deliveryAddress",
        "currency",
        "entries",
        "entries/product",
        "consignments",
        "consignments/status",
        "consignments/deliveryMode",
        "consignments/deliveryPointOfService",
        "deliveryMode",
        "site",
        "store",
        "language",
    )
)
CART_EXPAND = "user,currency,entries,entries/product,site"
PRODUCT_EXPAND = "catalogVersion,catalogVersion/catalog,supercategories,picture"
STOCK_EXPAND = "warehouse,inStockStatus"
RETURN_EXPAND = "status,order,order/site"
PURCHASE_EXPAND = "status,user,site,entries,entries/product"

PAGE_SIZE = 100
MAX_PAGES = 20  # 2 000 orders per customer is plenty for "did they buy it since"
CODES_PER_FILTER = 20  # keeps the $filter (and the URL) short

CANCELLED_STATUSES = frozenset({"CANCELLED", "CANCELLING"})

# Created by deploy/sap-commerce/20-write-back.impex: where Tidings' comments live.
COMMENT_DOMAIN = "tidingsDomain"
COMMENT_COMPONENT = "tidings"
COMMENT_TYPE = "tidingsNote"
COMMENT_SUBJECT = "Tidings"


_Model = TypeVar("_Model", bound=SapWire)


class SapCommerceClient(SapApiSession):
    """`CommercePlatformClient` for SAP Commerce Cloud (Integration API + OCC)."""

    platform = Platform.SAP_COMMERCE

    # ---- reads ------------------------------------------------------------------------------------

    async def fetch_order_snapshot(self, store: str, order_id: str) -> OrderSnapshot:
        order = await self.get_order(store, order_id)
        return _mapped(lambda: order_snapshot(store, order), f"order {order_id}")

    async def fetch_customer(self, store: str, customer_id: str) -> Recipient | None:
        return None  # the `Customer` integration object's webhook carries the customer (webhooks.py)

    async def get_order(self, store: str, order_id: str) -> SapOrder:
        """The order of this base site, with everything a message needs expanded."""
        flt = f"code eq {_literal(order_id)} and site/uid eq {_literal(store)}"
        found = await self._entities(store, "TidingsOrder", "Orders", flt, ORDER_EXPAND, SapOrder, "order")
        if not found:
            raise not_found(PROVIDER, f"{PROVIDER} has no order {order_id} of site {store}")
        return found[0]

    async def fetch_cart_snapshot(self, store: str, cart_id: str) -> CartSnapshot:
        """The cart with its entries and shopper. A cart SAP no longer has (checked out, removed)
        raises `not_found`."""
        flt = f"code eq {_literal(cart_id)} and site/uid eq {_literal(store)}"
        found = await self._entities(store, "TidingsCart", "Carts", flt, CART_EXPAND, SapCart, "cart")
        if not found:
            raise not_found(PROVIDER, f"{PROVIDER} has no cart {cart_id} of site {store}")
        template = self._cfg(store).cart_url
        checkout = (
            template.format(site=quote(store, safe=""), cart=quote(cart_id, safe="")) if template else None
        )
        return cart_snapshot(store, found[0], checkout)

    async def fetch_products(self, store: str, product_ids: list[str]) -> list[ProductInfo]:
        """Catalog facts in the order asked; codes the catalog version does not have are left out."""
        wanted = list(dict.fromkeys(str(i).strip() for i in product_ids if str(i).strip()))
        cfg = self._cfg(store)
        scope = f"catalogVersion/version eq {_literal(cfg.catalog_version)}"
        if cfg.product_catalog:
            scope += f" and catalogVersion/catalog/id eq {_literal(cfg.product_catalog.format(site=store))}"
        found: dict[str, SapProduct] = {}
        for start in range(0, len(wanted), CODES_PER_FILTER):
            codes = " or ".join(f"code eq {_literal(c)}" for c in wanted[start : start + CODES_PER_FILTER])
            products = await self._entities(
                store,
                "TidingsProduct",
                "Products",
                f"({codes}) and {scope}",
                PRODUCT_EXPAND,
                SapProduct,
                "product",
            )
            for product in products:
                found.setdefault(product.code, product)
        return [product_info(found[code]) for code in wanted if code in found]

    async def fetch_price(self, store: str, sku: str) -> Decimal | None:
        """None: SAP keeps prices in price rows (per user group, currency, quantity); the
        `TidingsPriceRow` webhook carries the price itself, so the product watch needs no read."""
        return None

    async def fetch_stock(self, store: str, sku: str) -> int | None:
        """Available to sell over all warehouses (available − reserved each); None when SAP keeps
        no stock level for the SKU or one warehouse forces it in stock."""
        levels = await self._entities(
            store,
            "TidingsStockLevel",
            "StockLevels",
            f"productCode eq {_literal(sku)}",
            STOCK_EXPAND,
            SapStockLevel,
            "stock level",
        )
        if not levels:
            return None
        if any(level.in_stock_status and level.in_stock_status.code == FORCE_IN_STOCK for level in levels):
            return None
        return sum(available_to_sell(level) or 0 for level in levels)

    async def purchased_since(
        self, store: str, sku: str, customer_ids: list[str], since: datetime
    ) -> list[str]:
        """Those customers with an order of this site, placed at or after `since`, with the SKU."""
        moment = aware(since)
        bought: list[str] = []
        for customer_id in dict.fromkeys(customer_ids):
            who = _literal(customer_id)
            flt = f"(user/customerID eq {who} or user/uid eq {who}) and site/uid eq {_literal(store)}"
            orders = await self._entities(
                store, "TidingsOrder", "Orders", flt, PURCHASE_EXPAND, SapOrder, "order", paged=True
            )
            if any(
                order.date is not None
                and order.date >= moment
                and customer_id_of(order.user) == customer_id
                and any(entry.product.code == sku for entry in order.entries)
                for order in orders
            ):
                bought.append(customer_id)
        return bought

    async def find_return_request(self, store: str, case_id: str) -> SapReturnRequest | None:
        """The return request whose RMA (or code) is `case_id`, on an order of this site."""
        key = _literal(case_id)
        flt = f"(RMA eq {key} or code eq {key}) and order/site/uid eq {_literal(store)}"
        found = await self._entities(
            store,
            "TidingsReturnRequest",
            "ReturnRequests",
            flt,
            RETURN_EXPAND,
            SapReturnRequest,
            "return request",
        )
        return found[0] if found else None

    # ---- writes -----------------------------------------------------------------------------------

    async def add_order_note(self, store: str, order_id: str, note: str) -> None:
        if not note.strip():
            return
        await self.get_order(store, order_id)  # a clean not_found rather than a refused comment
        await self._comment(store, "TidingsOrderComment", {"code": order_id, "site": {"uid": store}}, note)

    async def add_case_comment(self, store: str, case_id: str, order_id: str | None, text: str) -> str:
        """On the return request that is the case; a case with no return request (a customer's
        message) goes on its order."""
        returned = await self.find_return_request(store, case_id)
        if returned is not None:
            target = {"code": returned.code, "order": {"code": returned.order.code, "site": {"uid": store}}}
            await self._comment(store, "TidingsReturnRequestComment", target, text)
            return f"comment on return request {case_id}"
        if order_id:
            await self.add_order_note(store, order_id, text)
            return f"comment on order {order_id}"
        raise not_found(PROVIDER, f"{PROVIDER} has no return request {case_id} of site {store}")

    async def cancel_and_restock(self, store: str, order_id: str, note: str) -> None:
        require_occ_client(self._cfg(store))  # before anything is written
        order = await self.get_order(store, order_id)
        if note.strip():
            await self._comment(
                store, "TidingsOrderComment", {"code": order_id, "site": {"uid": store}}, note
            )
        if order.status.code in CANCELLED_STATUSES:
            return  # done already (a retry whose first answer was lost, or the merchant did it)
        if order.user is None:
            raise invalid_response(PROVIDER, f"order {order_id} has no user: OCC cannot address it")
        entries = [
            {"orderEntryNumber": entry.entry_number, "quantity": entry.quantity}
            for entry in order.entries
            if entry.entry_number is not None and entry.quantity > 0
        ]
        if not entries:
            raise invalid_response(PROVIDER, f"order {order_id} has no entries to cancel")
        path = (
            f"{OCC_ROOT}/{_segment(store)}/users/{_segment(order.user.uid)}"
            f"/orders/{_segment(order_id)}/cancellation"
        )
        await self._occ("POST", store, path, {"cancellationRequestEntryInputs": entries})

    # ---- plumbing ---------------------------------------------------------------------------------

    async def _entities(
        self,
        store: str,
        io: str,
        entity_set: str,
        flt: str,
        expand: str,
        model: type[_Model],
        what: str,
        *,
        paged: bool = False,
    ) -> list[_Model]:
        items: list[_Model] = []
        for page in range(MAX_PAGES if paged else 1):
            params = {"$filter": flt, "$expand": expand, "$format": "json"}
            if paged:
                params |= {"$top": str(PAGE_SIZE), "$skip": str(page * PAGE_SIZE)}
            body = await self._odata("GET", store, f"/{io}/{entity_set}", params=params)
            found = odata_entity(body)
            if not isinstance(found, list):
                raise invalid_response(PROVIDER, f"{io}/{entity_set} answered without a results list")
            items.extend(_parse(model, item, what) for item in found)
            if len(found) < PAGE_SIZE:
                break
        return items

    async def _comment(self, store: str, io: str, target: dict[str, Any], text: str) -> None:
        """Post a comment on the target item unless one with the same text is there already."""
        digest = hashlib.sha256(f"{io}\n{target}\n{text.strip()}".encode()).hexdigest()[:24]
        code = f"tidings-{digest}"
        existing = await self._odata(
            "GET",
            store,
            f"/{io}/Comments",
            params={"$filter": f"code eq {_literal(code)}", "$format": "json"},
        )
        if odata_entity(existing):
            return
        cfg = self._cfg(store)
        domain = {"code": COMMENT_DOMAIN}
        comment = {
            "code": code,
            "text": text.strip(),
            "subject": COMMENT_SUBJECT,
            "author": {"uid": cfg.user},
            "component": {"code": COMMENT_COMPONENT, "domain": domain},
            "commentType": {"code": COMMENT_TYPE, "domain": domain},
            "relatedItems": [target],
        }
        await self._odata("POST", store, f"/{io}/Comments", json=comment)


def _parse(model: type[_Model], value: Any, what: str) -> _Model:
    return parse_answer(model, value, what, PROVIDER)


_T = TypeVar("_T")


def _mapped(build: Callable[[], _T], what: str) -> _T:
    """Mapping a document can meet a status value the tables do not know: a permanent error here."""
    try:
        return build()
    except WebhookPayloadError as exc:
        raise invalid_response(PROVIDER, f"{what}: {exc}") from None


def _literal(value: str) -> str:
    # An OData string literal: single quotes, doubled inside.
    return "'" + str(value).replace("'", "''") + "'"


def _segment(value: str) -> str:
    # Ids come from webhooks: never let one change the path.
    return quote(str(value), safe="")
