"""Which keys encrypt, from the settings, and the one data converter every client, worker, replayer
and test uses: pydantic's, with the encryption codec in front.

- `TIDINGS_ENCRYPTION_KEYS` (+ `TIDINGS_ENCRYPTION_KEY_ID` when there are several): those keys.
- Neither set, development: a key generated once into `.data/encryption-keys.json`, announced once.
- Neither set, production: refuse to start, unless `TIDINGS_ENCRYPTION=off` says so explicitly."""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes

from domain.settings import Settings
from starter.codec import CodecKeyError, EncryptionCodec, KeyRing

DEV_KEYS_FILE = Path(".data") / "encryption-keys.json"
log = logging.getLogger("tidings.encryption")


class EncryptionNotConfigured(RuntimeError):
    """Production without keys and without an explicit TIDINGS_ENCRYPTION=off."""


def dev_key_ring(path: Path = DEV_KEYS_FILE) -> KeyRing:
    """The development key: read from `path`, or generated there (readable by this user only)."""
    if path.exists():
        return KeyRing.from_json(path.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    key_id = f"dev-{os.urandom(4).hex()}"
    ring = KeyRing({key_id: KeyRing.new_key()}, key_id)
    # Written aside, then linked into place: of two processes starting at once, one key wins whole.
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(ring.to_json())
    try:
        os.link(draft, path)
    except FileExistsError:
        return KeyRing.from_json(path.read_text())
    finally:
        draft.unlink()
    log.warning(
        "generated the development encryption key %r into %s: Temporal payloads are encrypted with it "
        "(set TIDINGS_ENCRYPTION_KEYS in production)",
        key_id,
        path,
    )
    return ring


def key_ring(settings: Settings, dev_keys_file: Path = DEV_KEYS_FILE) -> KeyRing | None:
    """The keys the settings name; None when encryption is explicitly off."""
    if settings.encryption == "off":
        return None
    if settings.encryption_keys is not None:
        try:
            return KeyRing.from_json(settings.encryption_keys.get_secret_value(), settings.encryption_key_id)
        except CodecKeyError as e:
            raise EncryptionNotConfigured(
                f"TIDINGS_ENCRYPTION_KEYS / TIDINGS_ENCRYPTION_KEY_ID: {e}"
            ) from None
    if settings.env == "production":
        raise EncryptionNotConfigured(
            "TIDINGS_ENCRYPTION_KEYS is not set: production refuses to write customer data into "
            "Temporal in clear. Set TIDINGS_ENCRYPTION_KEYS (and TIDINGS_ENCRYPTION_KEY_ID), or "
            "TIDINGS_ENCRYPTION=off to run without payload encryption on purpose."
        )
    return dev_key_ring(dev_keys_file)


def converter_for(ring: KeyRing | None) -> DataConverter:
    """Pydantic payloads, encrypted with `ring` (None: in clear). Failure messages and stack traces
    are encoded too: an error text can quote an address."""
    if ring is None:
        return pydantic_data_converter
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(ring),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def data_converter(settings: Settings) -> DataConverter:
    return converter_for(key_ring(settings))
