"""What the platform shops share: the sandbox stand-in's seeding and inspection routes for one
platform and one store, `/sandbox/{platform}/{store}/{kind}/{key}`, each call checked for success."""

from __future__ import annotations

from typing import Any

import httpx


class SandboxStore:
    """One store of one platform's stand-in in the sandbox (`platform`: "sfcc", "sap" …)."""

    def __init__(self, http: httpx.AsyncClient, sandbox_url: str, platform: str, store: str) -> None:
        self.http = http
        self.root = f"{sandbox_url.rstrip('/')}/sandbox/{platform}/{store}"

    def url(self, *path: str) -> str:
        return "/".join((self.root, *path))

    async def put(self, kind: str, key: str, doc: dict[str, Any]) -> Any:
        """Seed (or replace) a document; the stand-in's answer, usually the document as kept."""
        response = await self.http.put(self.url(kind, key), json=doc)
        response.raise_for_status()
        return response.json()

    async def get(self, *path: str) -> Any:
        response = await self.http.get(self.url(*path))
        response.raise_for_status()
        return response.json()

    async def delete(self, kind: str, key: str) -> None:
        """Forget a document, as the platform does when it is gone (a cart checked out)."""
        response = await self.http.delete(self.url(kind, key))
        response.raise_for_status()
