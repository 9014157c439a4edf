"""Short reference codes: how a customer with several open conversations says which one they answer."""

from __future__ import annotations

import base64
import hashlib
import re

CODE_LENGTH = 4
_ALPHABET = re.compile(r"[^A-Z2-7]")


def reference_code(workflow_id: str) -> str:
    """Four characters, stable for a journey (so replays and retries agree), easy to type."""
    digest = hashlib.sha256(workflow_id.encode()).digest()
    return base64.b32encode(digest).decode()[:CODE_LENGTH]


def codes_in(text: str) -> set[str]:
    """Every word of the text that could be a reference code ("K7Q2 2", "#k7q2: yes")."""
    words = re.findall(r"[A-Za-z0-9]+", text.upper())
    return {w for w in words if len(w) == CODE_LENGTH and not _ALPHABET.search(w)}


def without_codes(text: str, code: str) -> str:
    """The answer with the quoted code taken out: "K7Q2 2" → "2"."""
    return re.sub(rf"#?\b{re.escape(code)}\b[:,.]?", " ", text, flags=re.IGNORECASE).strip()
