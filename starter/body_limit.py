"""The request body size limit (`TIDINGS_MAX_BODY_BYTES`, 1 MiB by default), for every route at once:
an ASGI middleware that answers 413 with a JSON error before any route reads, authenticates or parses
a body over the limit. It reads the body (to the limit) itself, so a sender without Content-Length, or
lying in it, is held to the same limit; the route then reads the buffered bytes. The rest of a body
over the limit is read and dropped (up to `DRAIN_FACTOR` times the limit) so the client, still
sending, gets to read the 413; past that the connection is closed."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DRAIN_FACTOR = 8


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(receive, send, drain=int(declared) <= self.max_bytes * DRAIN_FACTOR)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: nobody to answer
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                more = message.get("more_body", False)
                await self._too_large(receive, send, drain=more, complete=not more)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()  # after the body: disconnects, as the server sends them

        await self.app(scope, replay, send)

    async def _too_large(self, receive: Receive, send: Send, *, drain: bool, complete: bool = False) -> None:
        dropped = 0
        while drain and not complete and dropped <= self.max_bytes * DRAIN_FACTOR:
            message = await receive()
            if message["type"] != "http.request":
                return
            dropped += len(message.get("body", b""))
            complete = not message.get("more_body", False)
        body = json.dumps({"error": f"body is larger than {self.max_bytes} bytes"}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if not complete:  # the rest is still on its way: this connection cannot be reused
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
