"""Exact numbers: parsing, normalising and formatting money amounts without floats."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Union

Number = Union[int, Fraction]
"""An exact amount: an ``int`` or, when it has a fractional part, a ``Fraction``."""

_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^[+-]?\d+/\d+$")


def normalise(value: Number) -> Number:
    """Return ``value`` as an ``int`` when it is integral, else as a ``Fraction``."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not an amount")
    if isinstance(value, int):
        return value
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else value
    raise TypeError(f"not an exact number: {value!r}")


def parse_number(text: str) -> Number:
    """Parse a decimal ("1234", "1234.0", "1.5e3") or "p/q" string exactly; raise ValueError."""
    s = text.strip()
    if not _NUMBER_RE.match(s):
        raise ValueError(f"not a number: {text!r}")
    return normalise(Fraction(s))


def format_number(value: Number) -> str:
    """Format an exact number for a file: integers plainly, terminating fractions as decimals."""
    value = normalise(value)
    if isinstance(value, int):
        return str(value)
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return f"{value.numerator}/{value.denominator}"
    digits = max(twos, fives)
    scaled = abs(value) * 10**digits
    whole, frac = divmod(int(scaled), 10**digits)
    sign = "-" if value < 0 else ""
    return f"{sign}{whole}.{frac:0{digits}d}"


def to_json_number(value: Number) -> int | str:
    """Represent an exact number in JSON: an int, or the string "p/q" for a fraction."""
    value = normalise(value)
    if isinstance(value, int):
        return value
    return f"{value.numerator}/{value.denominator}"


def _group(digits: str, sep: str) -> str:
    parts = []
    while len(digits) > 3:
        parts.append(digits[-3:])
        digits = digits[:-3]
    parts.append(digits)
    return sep.join(reversed(parts))


def format_money(value: Number, currency: str = "EUR", lang: str = "nl") -> str:
    """Format an amount for residents: "€ 12.500" (nl) or "€12,500" (en); cents only when needed.

    Display only: the amount is rounded half-up to cents, nothing is decided on the result.
    """
    if isinstance(value, int):
        cents = value * 100
    else:
        cents = (Fraction(value) * 100 + Fraction(1, 2)).__floor__() if value >= 0 else -(
            (-Fraction(value) * 100 + Fraction(1, 2)).__floor__()
        )
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    thousands, decimal = (".", ",") if lang == "nl" else (",", ".")
    text = _group(str(whole), thousands)
    if part:
        text += f"{decimal}{part:02d}"
    cur = (currency or "").upper()
    if cur == "EUR":
        return f"{sign}€ {text}" if lang == "nl" else f"{sign}€{text}"
    if cur == "USD":
        return f"{sign}$ {text}" if lang == "nl" else f"{sign}${text}"
    return f"{sign}{text} {cur}".rstrip()
