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


def main(paths: list[Path]) -> None:
    for path in history_files(paths):
        encrypted = 0

        def encrypt_if_clear(payload: Payload) -> Payload:
            nonlocal encrypted
            if payload.metadata.get("encoding") == ENCODING:
                return payload
            encrypted += 1
            return TEST_CODEC.encrypt(payload)

        history = recoded(read_history(path), encrypt_if_clear)
        if encrypted:  # untouched files are not rewritten (their JSON maps would come out reordered)
            path.write_text(history.to_json())
            print(f"encrypted {encrypted} payloads of {path}")


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]] or [Path(__file__).parent / "histories"])
