"""Money: amounts as integer cents, parsed from what people type and converted for the engine.

Every amount a person types goes through :func:`parse_euros`; the engine counts in exact euros
(:func:`euros`, :func:`cents`); a stored outcome's amounts become cents with :func:`outcome_cents`.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from flask_babel import gettext as _

from pb.errors import ValidationFailed
from pb.tally.numbers import Number, normalise

MAX_AMOUNT_CENTS = 10_000_000 * 100


_EURO_RE = re.compile(r"^\d+(?:[.,]\d{1,2})?$")


_DUTCH_THOUSANDS_RE = re.compile(r"^\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?$")


_ENGLISH_THOUSANDS_RE = re.compile(r"^\d{1,3}(?:,\d{3})+\.\d{1,2}$")


def parse_euros(text: str) -> int:
    """Return integer cents for an amount typed as ``1.234,50``, ``1234,5``, ``1234.50`` or ``€ 12``.

    A dot followed by three digits is a Dutch thousands separator (``1.234`` is 1234 euros).

    Raises:
        ValidationFailed: not an amount, negative, or above 10 million euros.
    """
    raw = text.strip().replace("€", "").replace(" ", "").replace("\u00a0", "")
    if raw.endswith(",-"):
        raw = raw[:-2]
    if _DUTCH_THOUSANDS_RE.match(raw):
        normal = raw.replace(".", "").replace(",", ".")
    elif _ENGLISH_THOUSANDS_RE.match(raw):
        normal = raw.replace(",", "")
    elif _EURO_RE.match(raw):
        normal = raw.replace(",", ".")
    else:
        raise ValidationFailed(_("Vul een bedrag in euro's in, bijvoorbeeld 1.234,50."), field="amount")
    try:
        cents = int((Decimal(normal) * 100).to_integral_value())
    except InvalidOperation as exc:  # pragma: no cover - the patterns above exclude this
        raise ValidationFailed(_("Vul een bedrag in euro's in, bijvoorbeeld 1.234,50."), field="amount") from exc
    if cents > MAX_AMOUNT_CENTS:
        raise ValidationFailed(_("Dit bedrag is te hoog."), field="amount")
    return cents


def euros(cents: int) -> Number:
    """Integer cents as exact euros (an int when whole)."""
    return normalise(Fraction(cents, 100))


def cents(amount: Number) -> int:
    """Exact euros as integer cents; raise ValueError if not a whole number of cents."""
    value = Fraction(amount) * 100
    if value.denominator != 1:
        raise ValueError(f"{amount} is not a whole number of cents")
    return int(value)
