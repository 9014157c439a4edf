"""SMS keywords with a consent meaning, as carriers and regulators expect them to be honoured."""

from __future__ import annotations

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP"})

STOPPED = "stopped"
STARTED = "started"


def keyword_change(text: str) -> str | None:
    """ "stopped" or "started" when the whole message is a consent keyword (any case, stray
    punctuation allowed); None for anything else, which is a reply for the journeys."""
    word = text.strip().strip(".!").upper()
    if word in STOP_WORDS:
        return STOPPED
    if word in START_WORDS:
        return STARTED
    return None
