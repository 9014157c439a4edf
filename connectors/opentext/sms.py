"""SMS encoding and segment counting (GSM 03.38), so templates and the ledger know what a text costs.

A text that fits the GSM 7-bit alphabet goes out as GSM-7 (160 septets in one segment, 153 per
segment once it is split, because the concatenation header takes the rest). One character outside
it forces the whole message to UCS-2 (70 UTF-16 units, 67 per split segment).
"""

from __future__ import annotations

from typing import Literal

SmsEncoding = Literal["GSM-7", "UCS-2"]

# GSM 03.38 basic character set, in code-point order 0x00..0x7F. 0x1B (the escape to the extension
# table) is left out: it is never a character of its own.
GSM7_BASIC: frozenset[str] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)

# The extension table: each of these costs two septets (escape + code).
GSM7_EXTENSION: frozenset[str] = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE_SEGMENT = 160
GSM7_MULTI_SEGMENT = 153
UCS2_SINGLE_SEGMENT = 70
UCS2_MULTI_SEGMENT = 67


def sms_encoding(text: str) -> SmsEncoding:
    """GSM-7 when every character is in the basic set or the extension table, else UCS-2."""
    for char in text:
        if char not in GSM7_BASIC and char not in GSM7_EXTENSION:
            return "UCS-2"
    return "GSM-7"


def _units(text: str, encoding: SmsEncoding) -> list[int]:
    """Width of each character in the encoding's units: septets for GSM-7, UTF-16 code units for
    UCS-2 (an emoji outside the BMP is a surrogate pair, two units)."""
    if encoding == "GSM-7":
        return [2 if char in GSM7_EXTENSION else 1 for char in text]
    return [2 if ord(char) > 0xFFFF else 1 for char in text]


def sms_segments(text: str) -> int:
    """How many segments the text is sent as. An empty text still costs one segment.

    Split messages are counted greedily because a character is never cut across two segments:
    an extension character (escape + code) or a surrogate pair that does not fit in the rest of a
    segment moves whole to the next one, which can add a segment beyond a plain division.
    """
    encoding = sms_encoding(text)
    units = _units(text, encoding)
    single, multi = (
        (GSM7_SINGLE_SEGMENT, GSM7_MULTI_SEGMENT)
        if encoding == "GSM-7"
        else (UCS2_SINGLE_SEGMENT, UCS2_MULTI_SEGMENT)
    )
    if sum(units) <= single:
        return 1
    segments, used = 1, 0
    for width in units:
        if used + width > multi:
            segments += 1
            used = 0
        used += width
    return segments
