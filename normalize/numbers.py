"""Amounts as printed → exact Decimals. No float ever touches an amount."""

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

import regex
from budgetpdf.contract.text import squash

# At most 8 decimals: longer fractions are ratios or identifiers, not amounts. Separators
# come in threes from the right; some publishers print only the last one (125360,898).
_AMOUNT = regex.compile(r"^[-+]?(?:\d{1,15}(?:,\d{3})+|\d{1,18})(?:\.\d{1,8})?$")
_DASHES = {"-", "—", "–", "－", "--", "——", "/", "\\"}
# Minus signs publishers print that NFKC leaves alone (it already folds － U+FF0D and ﹣ U+FE63
# to "-"): U+2212 MINUS SIGN (pdfium reads `−5.44`), hyphens U+2010/2011, figure dash U+2012
# and en dash U+2013 when they lead a number. Alone they are blanks, like "-".
_MINUS = str.maketrans(dict.fromkeys("\u2212\u2010\u2011\u2012\u2013", "-"))
_CENT = Decimal("0.01")


def parse_amount(text: str | None) -> Decimal | None:
    """The amount printed in a cell, or None for blanks, dashes and non-numbers.

    Thousands separators go; the printed scale stays (``28.00`` stays ``28.00``).
    Parenthesised figures are negatives, as accountants print them; every minus sign a
    publisher uses makes a negative: ``-5.44``, ``－5.44``, ``−5.44`` (U+2212), ``‐5.44``
    (U+2010), ``(5.44)`` and ``（5.44）`` are all −5.44.
    """
    if text is None:
        return None
    s = squash(text).translate(_MINUS)
    if not s or s in _DASHES:
        return None
    negative = s.startswith("(") and s.endswith(")")
    if negative:
        s = s[1:-1]
    if not _AMOUNT.match(s):
        return None
    try:
        value = Decimal(s.replace(",", ""))
    except InvalidOperation:
        return None
    return -value if negative else value


def to_yuan(value: Decimal, unit: str | None, factors: Mapping[str, Decimal]) -> Decimal | None:
    """value printed in unit, in 元: exact Decimal arithmetic (value × the unit's factor),
    rounded half-even to the cent (Decimal context); no float is involved. factors: money
    unit → its worth in 元 (`Knowledge.money`: 元 1, 千元 1000, 万元 10000, 亿元 10^8).
    None for a unit not among them, or none (`12.345` 万元 → 123450.00)."""
    factor = factors.get(unit or "")
    if factor is None:
        return None
    return (value * factor).quantize(_CENT)
