"""The sandbox's seeded BigCommerce V3 data: carts, catalog products and categories.

Kept beside `SandboxState` rather than in it: one `BigCommerceCatalog` belongs to each state
instance (looked up by identity, dropped with it), so a fresh sandbox app starts with an empty
catalog just as it starts with no orders. Handlers reach it through the `get_catalog` dependency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any
from weakref import WeakKeyDictionary

from fastapi import Depends

from connectors.sandbox.state import SandboxState, get_state


@dataclass
class BigCommerceCatalog:
    """V3 `data` objects keyed by (store_hash, id), as seeded through `/sandbox/bigcommerce/...`."""

    carts: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    products: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    categories: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    brands: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)


_CATALOGS: WeakKeyDictionary[SandboxState, BigCommerceCatalog] = WeakKeyDictionary()


def catalog_of(state: SandboxState) -> BigCommerceCatalog:
    """The catalog of this sandbox state, created empty on first use."""
    catalog = _CATALOGS.get(state)
    if catalog is None:
        catalog = _CATALOGS[state] = BigCommerceCatalog()
    return catalog


def get_catalog(state: Annotated[SandboxState, Depends(get_state)]) -> BigCommerceCatalog:
    return catalog_of(state)
