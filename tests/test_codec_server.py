"""The codec server over HTTP, as the Web UI and `temporal --codec-endpoint` call it: decrypted payloads
for a token bearer (header, sign-in cookie, or an OIDC access token checked against the identity
provider's JWKS), 401 and nothing else for anyone else, CORS for the UI."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from jwt.algorithms import RSAAlgorithm
from temporalio.api.common.v1 import Payload

from starter.codec import EncryptionCodec, KeyRing
from starter.codec_server import CodecServerSettings, create_app
from tests.conftest import Served, free_port

UI = "http://localhost:8233"
TOKEN = "operator-token"
CODEC = EncryptionCodec(KeyRing({"k1": b"\x07" * 32}, "k1"))
SECRET = b'{"email":"ada@example.com"}'


def wire(payload: Payload) -> dict[str, object]:
    """A payload in the protocol's proto-JSON form: bytes as base64."""
    return {
        "metadata": {k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
        "data": base64.b64encode(payload.data).decode(),
    }


@pytest.fixture
async def codec_http() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(CODEC, CodecServerSettings(tokens=[TOKEN], cors_origins=[UI]))  # type: ignore[list-item]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://codec") as http:
        yield http


def sealed_body() -> dict[str, object]:
    return {"payloads": [wire(CODEC.encrypt(Payload(metadata={"encoding": b"json/plain"}, data=SECRET)))]}


async def test_a_token_bearer_gets_the_payloads_decrypted(codec_http: httpx.AsyncClient) -> None:
    answer = await codec_http.post(
        "/default/decode",
        json=sealed_body(),
        headers={"Authorization": f"Bearer {TOKEN}", "X-Namespace": "default", "Origin": UI},
    )
    assert answer.status_code == 200, answer.text
    [payload] = answer.json()["payloads"]
    assert base64.b64decode(payload["data"]) == SECRET
    assert base64.b64decode(payload["metadata"]["encoding"]) == b"json/plain"
    assert answer.headers["access-control-allow-origin"] == UI


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}"])
async def test_without_a_valid_token_the_answer_is_401_and_nothing_decoded(
    codec_http: httpx.AsyncClient, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    answer = await codec_http.post("/decode", json=sealed_body(), headers=headers)
    assert answer.status_code == 401
    assert "ada@example.com" not in answer.text and "payloads" not in answer.json()
    assert (await codec_http.post("/encode", json=sealed_body(), headers=headers)).status_code == 401


async def test_signing_in_sets_the_cookie_the_web_ui_sends(codec_http: httpx.AsyncClient) -> None:
    refused = await codec_http.post("/login", content="token=guess", headers=FORM)
    assert refused.status_code == 401 and "tidings_codec" not in refused.cookies
    signed_in = await codec_http.post("/login", content=f"token={TOKEN}", headers=FORM)
    assert signed_in.status_code == 303
    assert "httponly" in signed_in.headers["set-cookie"].lower()
    answer = await codec_http.post("/decode", json=sealed_body())  # the client keeps the cookie
    assert answer.status_code == 200
    assert base64.b64decode(answer.json()["payloads"][0]["data"]) == SECRET


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def test_cors_admits_the_web_ui_with_credentials_and_no_other_origin(
    codec_http: httpx.AsyncClient,
) -> None:
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    ui = await codec_http.options("/decode", headers={"Origin": UI, **preflight})
    assert ui.status_code == 200
    assert ui.headers["access-control-allow-origin"] == UI
    assert ui.headers["access-control-allow-credentials"] == "true"
    other = await codec_http.options("/decode", headers={"Origin": "https://evil.example", **preflight})
    assert other.status_code == 400 and "access-control-allow-origin" not in other.headers


async def test_encode_then_decode_round_trips(codec_http: httpx.AsyncClient) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    clear = {"payloads": [wire(Payload(metadata={"encoding": b"json/plain"}, data=SECRET))]}
    encoded = await codec_http.post("/encode", json=clear, headers=auth)
    assert SECRET not in json.dumps(encoded.json()).encode()
    decoded = await codec_http.post("/decode", json=encoded.json(), headers=auth)
    assert decoded.json() == clear


def test_the_server_refuses_to_start_without_tokens() -> None:
    with pytest.raises(ValueError, match="TIDINGS_CODEC_TOKENS"):
        create_app(CODEC, CodecServerSettings(tokens=[]))


ISSUER = "https://login.example/"
AUDIENCE = "temporal-ui"


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def access_token(key: rsa.RSAPrivateKey, kid: str = "k1", **claims: object) -> str:
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "operator", "exp": int(time.time()) + 300, **claims}
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture
async def identity_provider() -> AsyncIterator[tuple[str, rsa.RSAPrivateKey]]:
    """The JWKS of an identity provider, served over real HTTP (the codec server fetches it)."""
    key = rsa_key()
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    app = FastAPI()

    @app.get("/jwks")
    async def jwks() -> dict[str, object]:
        return {"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}

    port = free_port()
    async with Served(app, port):
        yield f"http://127.0.0.1:{port}/jwks", key


async def test_an_oidc_access_token_from_the_web_ui_login_is_accepted_and_checked(
    identity_provider: tuple[str, rsa.RSAPrivateKey],
) -> None:
    jwks_url, key = identity_provider
    settings = CodecServerSettings(jwks_url=jwks_url, jwt_audience=AUDIENCE, jwt_issuer=ISSUER)
    app = create_app(CODEC, settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://codec") as http:

        async def decode(token: str) -> httpx.Response:
            return await http.post(
                "/decode", json=sealed_body(), headers={"Authorization": f"Bearer {token}"}
            )

        accepted = await decode(access_token(key))
        assert accepted.status_code == 200
        assert base64.b64decode(accepted.json()["payloads"][0]["data"]) == SECRET
        assert (await decode(access_token(key, aud="another-app"))).status_code == 401
        assert (await decode(access_token(key, iss="https://elsewhere.example/"))).status_code == 401
        assert (await decode(access_token(key, exp=int(time.time()) - 60))).status_code == 401
        assert (await decode(access_token(rsa_key()))).status_code == 401  # signed by a stranger
        assert (await decode("not-a-jwt")).status_code == 401


def test_oidc_needs_an_audience_and_an_issuer() -> None:
    with pytest.raises(ValueError, match="JWT_AUDIENCE"):
        create_app(CODEC, CodecServerSettings(jwks_url="http://127.0.0.1:9/jwks"))


async def test_an_empty_batch_answers_an_empty_list(codec_http: httpx.AsyncClient) -> None:
    answer = await codec_http.post(
        "/decode", json={"payloads": []}, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert answer.json() == {"payloads": []}
