"""`tidings codec-server`: Temporal's codec-server protocol (POST /encode, POST /decode, each also under
/{namespace}/), so the Web UI and `temporal --codec-endpoint` show decrypted payloads to an
authenticated operator, and ciphertext (401) to anyone else.

Who is authenticated: a request bearing one of TIDINGS_CODEC_TOKENS, either as
`Authorization: Bearer <token>` (the CLI's `--codec-auth`) or as the cookie `/login` sets (the Web UI
with "Include cross-origin credentials"; the browser sends it because the UI and this server share a
host); or, with TIDINGS_CODEC_JWKS_URL set, a bearer JWT signed by a key of that JWKS for the
configured audience and issuer (a Web UI with OIDC login passing its user's access token). CORS
admits the Web UI's origin only."""

from __future__ import annotations

import asyncio
import hmac
from typing import Any
from urllib.parse import parse_qs

import jwt
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from google.protobuf import json_format
from google.protobuf.json_format import ParseError
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from temporalio.api.common.v1 import Payloads

from starter.codec import CodecKeyError, EncryptionCodec

COOKIE = "tidings_codec"


class CodecServerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TIDINGS_CODEC_", env_file=".env", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8089
    tokens: list[SecretStr] = []  # JSON list; an empty list refuses to start
    # The Web UI's origins (the dev server's UI answers on both names).
    cors_origins: list[str] = ["http://localhost:8233", "http://127.0.0.1:8233"]
    # OIDC: the identity provider's JWKS, and the audience and issuer its access tokens must name.
    jwks_url: str | None = None
    jwt_audience: str | None = None
    jwt_issuer: str | None = None
    jwt_algorithms: list[str] = ["RS256", "ES256"]


class OidcTokens:
    """Bearer JWTs verified against the identity provider's JWKS (keys fetched once, then cached)."""

    def __init__(self, settings: CodecServerSettings) -> None:
        if not (settings.jwks_url and settings.jwt_audience and settings.jwt_issuer):
            raise ValueError("TIDINGS_CODEC_JWKS_URL needs TIDINGS_CODEC_JWT_AUDIENCE and _JWT_ISSUER")
        self.settings = settings
        self.keys = jwt.PyJWKClient(settings.jwks_url, cache_keys=True)

    def valid(self, token: str) -> bool:
        try:
            key = self.keys.get_signing_key_from_jwt(token)
            jwt.decode(
                token,
                key.key,
                algorithms=self.settings.jwt_algorithms,
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                options={"require": ["exp", "aud", "iss"]},
            )
        except jwt.PyJWTError:
            return False
        return True


def create_app(codec: EncryptionCodec, settings: CodecServerSettings) -> FastAPI:
    tokens = [t.get_secret_value().encode() for t in settings.tokens]
    oidc = OidcTokens(settings) if settings.jwks_url else None
    if not tokens and oidc is None:
        raise ValueError(
            "TIDINGS_CODEC_TOKENS is empty (and no TIDINGS_CODEC_JWKS_URL): "
            "the codec server decrypts for token bearers only"
        )

    def known(offered: str) -> bool:
        # Compared with every token, in constant time: no early exit tells which one nearly matched.
        return bool(offered) and any([hmac.compare_digest(offered.encode(), token) for token in tokens])

    async def authenticated(request: Request) -> bool:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            token = credentials.strip()
            if known(token):
                return True
            # The JWKS fetch (first use, unknown key id) is blocking HTTP: off the event loop.
            return oidc is not None and token.count(".") == 2 and await asyncio.to_thread(oidc.valid, token)
        return known(request.cookies.get(COOKIE, ""))

    app = FastAPI(title="Tidings codec server", summary="Decrypts Temporal payloads for operators")
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=True,
        allow_methods=["POST"],
        allow_headers=["Authorization", "Content-Type", "X-Namespace"],
    )

    async def run(request: Request, encode: bool) -> Response:
        if not await authenticated(request):
            return JSONResponse({"error": "a codec token is required"}, status_code=401)
        try:
            body: Any = await request.json()
            payloads = json_format.ParseDict(body, Payloads())
        except (ValueError, ParseError) as e:
            return JSONResponse({"error": f'expected {{"payloads": [...]}}: {e}'}, status_code=400)
        try:
            out = await (codec.encode if encode else codec.decode)(list(payloads.payloads))
        except CodecKeyError as e:
            return JSONResponse({"error": str(e)}, status_code=400)
        return JSONResponse({"payloads": [json_format.MessageToDict(p) for p in out]})

    @app.post("/encode")
    @app.post("/{namespace}/encode")
    async def encode(request: Request) -> Response:
        return await run(request, encode=True)

    @app.post("/decode")
    @app.post("/{namespace}/decode")
    async def decode(request: Request) -> Response:
        return await run(request, encode=False)

    @app.get("/login", response_class=HTMLResponse)
    async def login_page() -> str:
        return LOGIN_PAGE.format(message="")

    @app.post("/login")
    async def login(request: Request) -> Response:
        token = parse_qs((await request.body()).decode()).get("token", [""])[0]
        if not known(token):
            return HTMLResponse(LOGIN_PAGE.format(message="<p role=alert>Unknown token.</p>"), 401)
        done = RedirectResponse("/login/done", status_code=303)
        # Lax: the UI on another port of the same host is same-site, so its fetches carry the cookie.
        secure = request.url.scheme == "https"
        done.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=secure, max_age=12 * 3600)
        return done

    @app.get("/login/done", response_class=HTMLResponse)
    async def logged_in() -> str:
        return DONE_PAGE

    @app.post("/logout")
    async def logout() -> Response:
        gone = HTMLResponse("<p>Signed out of the codec server.</p>")
        gone.delete_cookie(COOKIE)
        return gone

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


LOGIN_PAGE = """<!doctype html><title>Tidings codec server</title>
<h1>Codec server sign-in</h1>{message}
<form method=post action=/login><label>Codec token <input name=token type=password autofocus></label>
<button>Sign in</button></form>
<p>Then, in the Temporal Web UI's Codec Server settings, tick "Include cross-origin credentials".</p>"""

DONE_PAGE = """<!doctype html><title>Tidings codec server</title>
<h1>Signed in</h1><p>The Temporal Web UI now shows decrypted payloads in this browser (with
"Include cross-origin credentials" ticked in its Codec Server settings).</p>
<form method=post action=/logout><button>Sign out</button></form>"""
