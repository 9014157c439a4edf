"""TEST ONLY, NEVER A DEFAULT: the key the replay corpus in `tests/histories/` is encrypted with, kept in
the repository so anyone can replay the corpus (`tidings replay --keys-file tests/codec-test-keys.json`).
It protects nothing: nothing outside the tests may ever read it, and no setting falls back to it."""

from __future__ import annotations

from pathlib import Path

from starter.codec import EncryptionCodec, KeyRing
from starter.encryption import converter_for

TEST_KEYS_FILE = Path(__file__).parent / "codec-test-keys.json"
TEST_RING = KeyRing.from_json(TEST_KEYS_FILE.read_text())
TEST_CODEC = EncryptionCodec(TEST_RING)
TEST_CONVERTER = converter_for(TEST_RING)
