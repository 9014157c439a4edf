"""Encrypt, in place, every payload of the replay corpus still in clear, with the test key
(tests/codec_test_key.py). The recorded event sequences stay exactly as they were; only payloads
change. Idempotent: encrypted payloads are left alone.

    .venv/bin/python -m tests.encrypt_corpus [tests/histories]
"""

from __future__ import annotations

import sys
from pathlib import Path

from temporalio.api.common.v1 import Payload

from starter.codec import ENCODING
from starter.history import history_files, read_history, recoded
from tests.codec_test_key import TEST_CODEC


def encrypt_if_clear(payload: Payload) -> Payload:
    return payload if payload.metadata.get("encoding") == ENCODING else TEST_CODEC.encrypt(payload)


def main(paths: list[Path]) -> None:
    for path in history_files(paths):
        history = read_history(path)
        encrypted = recoded(history, encrypt_if_clear)
        if encrypted.to_json() != history.to_json():
            path.write_text(encrypted.to_json())
            print(f"encrypted {path}")


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]] or [Path(__file__).parent / "histories"])
