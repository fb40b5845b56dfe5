"""Exact numbers: parsing, normalising and formatting money amounts without floats."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Union

Number = Union[int, Fraction]
"""An exact amount: an ``int`` or, when it has a fractional part, a ``Fraction``."""

_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^[+-]?\d+/\d+$")

MAX_AMOUNT = 10**15
"""The largest amount (budget, cost, cap, points, threshold) the engine counts, in file units.

Real budgets stay below 10^10; the bound keeps every exact sum, product and Add1 share small
enough that a count ends in seconds (a file with costs scaled by 10^300 is refused, not counted
for minutes)."""

MAX_DENOMINATOR = 10**6
"""The finest fraction the engine accepts: six decimals, or ``p/q`` with ``q`` <= 10^6."""

_MAX_TEXT = 64  # characters of a number as written; longer is not an amount but an attack
_MAX_EXPONENT = 30  # "1e999999999" would build a billion-digit integer before any check


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
    """Parse a decimal ("1234", "1234.0", "1.5e3") or "p/q" string exactly; raise ValueError.

    Refuses (ValueError) a zero denominator ("1/0"), more than 64 characters and exponents
    beyond +-30, before building the number, so no input can make parsing slow.
    """
    s = text.strip()
    if len(s) > _MAX_TEXT:
        raise ValueError(f"number too long ({len(s)} characters): {s[:20]}...")
    match = _NUMBER_RE.match(s)
    if not match:
        raise ValueError(f"not a number: {text!r}")
    exponent = match.group(3)
    if exponent and abs(int(exponent[1:])) > _MAX_EXPONENT:
        raise ValueError(f"exponent out of range (at most {_MAX_EXPONENT}): {s!r}")
    try:
        return normalise(Fraction(s))
    except ZeroDivisionError:
        raise ValueError(f"division by zero: {s!r}") from None


def amount_problem(value: Number) -> str | None:
    """Why ``value`` is beyond what the engine counts (see :data:`MAX_AMOUNT`), or None."""
    if value > MAX_AMOUNT or value < -MAX_AMOUNT:
        return f"{format_number(value)[:24]} is beyond the largest amount the engine counts (10^15)"
    if isinstance(value, Fraction) and value.denominator > MAX_DENOMINATOR:
        return (f"{format_number(value)[:24]} is finer than the engine counts "
                f"(at most 6 decimals, or a denominator up to 10^6)")
    return None


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
