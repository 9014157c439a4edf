"""The payload codec: every payload Tidings writes into Temporal is compressed, then encrypted with
AES-256-GCM. The key id travels in the payload's metadata, so a key ring holding old and new keys
reads every history while only the current key encrypts (rotation: add a key, switch the id).

Search attributes never pass through a codec (the server indexes them), and headers do not by the
SDK's default; both stay in clear and must carry no personal data."""

from __future__ import annotations

import base64
import binascii
import json
import os
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
COMPRESSION = "encryption-compression"  # "zlib": the clear payload was compressed before encryption
NONCE_BYTES = 12  # GCM's standard nonce; random per payload, stored before the ciphertext
KEY_BYTES = 32  # AES-256


class CodecKeyError(ValueError):
    """A key ring that cannot be used: malformed keys, or no key under the id a payload names."""


@dataclass(frozen=True)
class KeyRing:
    """Keys by id; `current` names the one that encrypts. All of them decrypt."""

    keys: Mapping[str, bytes]
    current: str

    def __post_init__(self) -> None:
        for key_id, key in self.keys.items():
            if len(key) != KEY_BYTES:
                raise CodecKeyError(f"encryption key {key_id!r} is {len(key)} bytes, not {KEY_BYTES}")
        if self.current not in self.keys:
            raise CodecKeyError(
                f"the encryption key id {self.current!r} is not among the keys {sorted(self.keys)}"
            )

    @classmethod
    def from_json(cls, text: str, current: str | None = None, *, reading: bool = False) -> KeyRing:
        """`{"key-id": "<base64 of 32 bytes>", ...}`; with one key, `current` may be left out."""
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as e:
            raise CodecKeyError(f"encryption keys are not a JSON object: {e.msg}") from None
        if not isinstance(raw, dict) or not raw:
            raise CodecKeyError('encryption keys must be a JSON object {"key-id": "<base64 of 32 bytes>"}')
        keys: dict[str, bytes] = {}
        for key_id, encoded in raw.items():
            try:
                keys[str(key_id)] = base64.b64decode(str(encoded), validate=True)
            except binascii.Error:
                raise CodecKeyError(f"encryption key {key_id!r} is not base64") from None
        if current is None:
            if len(keys) > 1 and not reading:
                raise CodecKeyError(
                    "several encryption keys: name the one that encrypts (TIDINGS_ENCRYPTION_KEY_ID)"
                )
            current = next(iter(keys))
        return cls(keys, current)

    @classmethod
    def for_reading(cls, text: str) -> KeyRing:
        """Keys to decrypt with (a replay): which of them would encrypt does not matter."""
        return cls.from_json(text, reading=True)

    def to_json(self) -> str:
        return json.dumps({k: base64.b64encode(v).decode() for k, v in self.keys.items()})

    @staticmethod
    def new_key() -> bytes:
        return AESGCM.generate_key(bit_length=256)


class EncryptionCodec(PayloadCodec):
    """Compress (zlib) then encrypt (AES-256-GCM) each payload; decode what it encrypted and pass
    every other payload through unchanged (histories from before encryption)."""

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring
        self._ciphers = {key_id: AESGCM(key) for key_id, key in ring.keys.items()}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        key_id = self.ring.current
        nonce = os.urandom(NONCE_BYTES)
        clear = zlib.compress(payload.SerializeToString())
        # The key id is authenticated too: a payload moved under another id fails to decrypt.
        sealed = self._ciphers[key_id].encrypt(nonce, clear, key_id.encode())
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID: key_id.encode(), COMPRESSION: b"zlib"},
            data=nonce + sealed,
        )

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        key_id = payload.metadata.get(KEY_ID, b"").decode()
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise CodecKeyError(
                f"no encryption key {key_id!r} to decrypt this payload (keys: {sorted(self._ciphers)})"
            )
        try:
            clear = cipher.decrypt(payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:], key_id.encode())
        except InvalidTag:
            raise CodecKeyError(
                f"a payload under key {key_id!r} does not decrypt: wrong key or altered data"
            ) from None
        if payload.metadata.get(COMPRESSION) == b"zlib":
            clear = zlib.decompress(clear)
        return Payload.FromString(clear)
