"""The codec server over HTTP, as the Web UI and `temporal --codec-endpoint` call it: decrypted payloads
for a token bearer (header or sign-in cookie), 401 and nothing else for anyone else, CORS for the UI."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from temporalio.api.common.v1 import Payload

from starter.codec import EncryptionCodec, KeyRing
from starter.codec_server import CodecServerSettings, create_app

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
