"""Links into a platform's storefront that put products back in the shopper's cart (reorder
reminders). Each platform adds to the cart its own way; a store whose storefront differs (a headless
front end, another locale path) configures its own template (`TIDINGS_REORDER_URL`, per store in the
stores file as `reorder_url`).

Placeholders: `{store_url}` (no trailing slash), `{site}` (SFCC site id, SAP base site: the store id),
`{product_id}`, `{qty}`."""

from __future__ import annotations

from urllib.parse import quote

from domain.events import Platform

DEFAULT_REORDER_URLS: dict[Platform, str] = {
    # BigCommerce's cart.php adds a product by id and goes to the cart
    Platform.BIGCOMMERCE: "{store_url}/cart.php?action=add&product_id={product_id}&qty={qty}",
    # SFCC's Cart-AddProduct pipeline/controller of the site
    Platform.SFCC: (
        "{store_url}/on/demandware.store/Sites-{site}-Site/default/Cart-AddProduct?pid={product_id}&quantity={qty}"
    ),
    # SAP Commerce's storefront cart of the base site
    Platform.SAP_COMMERCE: "{store_url}/{site}/cart/add?productCodePost={product_id}&qty={qty}",
}


def reorder_url(
    platform: Platform, store: str, store_url: str, product_id: str, qty: int, template: str | None = None
) -> str:
    """The add-to-cart link for `qty` of `product_id` on this store's storefront."""
    pattern = template or DEFAULT_REORDER_URLS[platform]
    values = {
        "store_url": store_url.rstrip("/"),
        "site": quote(store, safe=""),
        "product_id": quote(product_id, safe=""),
        "qty": str(qty),
    }
    for name, value in values.items():
        pattern = pattern.replace("{" + name + "}", value)
    return pattern
