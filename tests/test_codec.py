"""The payload codec and where its keys come from: what an operator sees (nothing readable without the
key), what rotation keeps (old histories readable), and when a process refuses to start."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload

from domain.settings import Settings
from starter.codec import ENCODING, KEY_ID, CodecKeyError, EncryptionCodec, KeyRing
from starter.encryption import EncryptionNotConfigured, data_converter, key_ring

ORDER = json.dumps({"email": "ada@example.com", "phone": "+15555550123", "lines": ["Espresso beans"] * 40})


def keys(**named: bytes) -> str:
    return json.dumps({k: base64.b64encode(v).decode() for k, v in named.items()})


def plain(text: str = ORDER) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=text.encode())


async def test_an_encoded_payload_reveals_nothing_and_decodes_to_the_original() -> None:
    codec = EncryptionCodec(KeyRing({"k1": b"\x01" * 32}, "k1"))
    [sealed] = await codec.encode([plain()])
    assert sealed.metadata["encoding"] == ENCODING and sealed.metadata[KEY_ID] == b"k1"
    assert b"ada@example.com" not in sealed.SerializeToString()
    assert len(sealed.data) < len(ORDER)  # compressed before encryption: histories are mostly JSON
    assert await codec.decode([sealed]) == [plain()]


async def test_rotation_new_payloads_use_the_new_key_and_old_ones_still_decode() -> None:
    old = EncryptionCodec(KeyRing({"2025": b"\x01" * 32}, "2025"))
    [before] = await old.encode([plain()])
    rotated = EncryptionCodec(KeyRing.from_json(keys(**{"2025": b"\x01" * 32, "2026": b"\x02" * 32}), "2026"))
    [after] = await rotated.encode([plain()])
    assert after.metadata[KEY_ID] == b"2026"
    assert await rotated.decode([before, after]) == [plain(), plain()]
    with pytest.raises(CodecKeyError, match="no encryption key '2026'"):
        await old.decode([after])


async def test_payloads_from_before_encryption_pass_through() -> None:
    codec = EncryptionCodec(KeyRing({"k1": b"\x01" * 32}, "k1"))
    assert await codec.decode([plain()]) == [plain()]


async def test_a_wrong_key_or_an_altered_payload_is_refused() -> None:
    [sealed] = await EncryptionCodec(KeyRing({"k1": b"\x01" * 32}, "k1")).encode([plain()])
    with pytest.raises(CodecKeyError, match="does not decrypt"):
        await EncryptionCodec(KeyRing({"k1": b"\x03" * 32}, "k1")).decode([sealed])
    tampered = Payload(metadata=sealed.metadata, data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    with pytest.raises(CodecKeyError):
        await EncryptionCodec(KeyRing({"k1": b"\x01" * 32}, "k1")).decode([tampered])


def test_keys_from_settings_name_the_one_that_encrypts() -> None:
    two = keys(a=b"\x01" * 32, b=b"\x02" * 32)
    ring = key_ring(Settings(encryption_keys=two, encryption_key_id="b"))  # type: ignore[arg-type]
    assert ring is not None and ring.current == "b" and set(ring.keys) == {"a", "b"}
    with pytest.raises(EncryptionNotConfigured, match="TIDINGS_ENCRYPTION_KEY_ID"):
        key_ring(Settings(encryption_keys=two))  # type: ignore[arg-type]
    with pytest.raises(EncryptionNotConfigured, match="not 32"):
        key_ring(Settings(encryption_keys=keys(a=b"short")))  # type: ignore[arg-type]


def test_production_without_a_key_refuses_to_start_unless_encryption_is_explicitly_off() -> None:
    with pytest.raises(EncryptionNotConfigured, match="TIDINGS_ENCRYPTION_KEYS"):
        data_converter(Settings(env="production"))
    assert data_converter(Settings(env="production", encryption="off")).payload_codec is None


def test_development_generates_a_key_once_and_says_so_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / ".data" / "encryption-keys.json"
    with caplog.at_level(logging.WARNING, logger="tidings.encryption"):
        first = key_ring(Settings(), path)
        second = key_ring(Settings(), path)
    assert first == second and first is not None
    assert [r.getMessage() for r in caplog.records if "generated" in r.getMessage()] != []
    assert len(caplog.records) == 1
    assert path.stat().st_mode & 0o077 == 0  # the key file is the user's alone
