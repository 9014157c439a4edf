"""GSM-7 vs UCS-2 detection and segment counting."""

from __future__ import annotations

import pytest

from connectors.opentext.sms import GSM7_BASIC, GSM7_EXTENSION, sms_encoding, sms_segments


def test_alphabet_tables_have_the_gsm_sizes() -> None:
    # 128 basic code points minus the escape; 10 extension characters including form feed.
    assert len(GSM7_BASIC) == 127
    assert len(GSM7_EXTENSION) == 10
    assert not GSM7_BASIC & GSM7_EXTENSION


@pytest.mark.parametrize(
    "text",
    [
        "Your order 1042 has shipped",
        "Ça vaut 5 £, d'accord? ¡Sì! Ñandù ÆØÅ ß @ § ¿ Δ é è ò ü",
        "line one\nline two",
    ],
)
def test_gsm7_text(text: str) -> None:
    assert sms_encoding(text) == "GSM-7"


@pytest.mark.parametrize(
    "text",
    [
        "Prix: 12€ — non",  # em dash
        "Danke 😀",
        "Заказ отправлен",
        "ç lowercase c-cedilla is not in GSM 03.38",
        "â",
    ],
)
def test_ucs2_text(text: str) -> None:
    assert sms_encoding(text) == "UCS-2"


def test_extension_characters_stay_gsm7_and_count_double() -> None:
    assert sms_encoding("{[~^|\\]}€") == "GSM-7"
    # 80 euro signs are 160 septets: exactly one segment; one more needs splitting.
    assert sms_segments("€" * 80) == 1
    assert sms_segments("€" * 80 + "a") == 2


@pytest.mark.parametrize(
    ("length", "segments"),
    [(0, 1), (1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_gsm7_segment_boundaries(length: int, segments: int) -> None:
    assert sms_segments("a" * length) == segments


@pytest.mark.parametrize(
    ("length", "segments"),
    [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)],
)
def test_ucs2_segment_boundaries(length: int, segments: int) -> None:
    assert sms_segments("ж" * length) == segments


def test_extension_character_is_not_split_across_segments() -> None:
    # 306 septets would fit two 153-septet segments by division, but the euro sign (escape + code)
    # lands on septets 153-154 and cannot be cut: it moves whole to segment 2, pushing one septet
    # into a third segment.
    text = "a" * 152 + "€" + "a" * 151 + "b"
    assert sum(2 if c == "€" else 1 for c in text) == 306
    assert sms_segments(text) == 3


def test_surrogate_pair_counts_two_ucs2_units() -> None:
    assert sms_segments("😀" * 35) == 1  # 70 UTF-16 units
    assert sms_segments("😀" * 35 + "a") == 2
