"""Dutch addresses as the BAG writes them: postcode, huisnummer, huisletter, huisnummertoevoeging.

People write the parts together ("12a", "12-2", "12 bis", "12A-2"); these functions take them
apart the same way for the register import, the verification form and the information point.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FULL_POSTCODE_RE = re.compile(r"^([1-9][0-9]{3}) ?([A-Za-z]{2})$")
_NUMBER_RE = re.compile(r"^\s*([0-9]{1,5})(?![0-9])(.*)$", re.DOTALL)
_SEPARATORS = re.compile(r"[\s\-/]")
BAG_TOEVOEGING_RE = re.compile(r"^[A-Z0-9]{0,4}$")
MAX_HUISNUMMER = 99999


def normalise_full_postcode(text: str) -> str | None:
    """Return ``1234AB`` for ``1234 ab``/``1234AB``, or None when it is not a full postcode."""
    match = FULL_POSTCODE_RE.match(text.strip())
    return (match.group(1) + match.group(2).upper()) if match else None


def normalise_toevoeging(text: str) -> str:
    """Upper case, without spaces, dashes and slashes (``-a`` and ``A`` are the same addition)."""
    return _SEPARATORS.sub("", text or "").upper()


@dataclass(frozen=True)
class HouseNumber:
    """A house number taken apart: ``12A-2`` is (12, "A", "2")."""

    huisnummer: int
    huisletter: str = ""
    toevoeging: str = ""

    @property
    def suffix(self) -> str:
        """Letter and addition together, as a resident may type them in one field."""
        return self.huisletter + self.toevoeging


def split_suffix(text: str) -> tuple[str, str]:
    """Split what follows the number into (huisletter, toevoeging), both upper case.

    A single letter right after the number (or after a space) is the huisletter: ``a``, ``a-2``,
    ``A2``. Everything else is the toevoeging: ``-2``, ``bis``, ``-a``, ``II``.
    """
    rest = text.strip()
    letter = ""
    if rest[:1].isascii() and rest[:1].isalpha() and not (rest[1:2].isascii() and rest[1:2].isalpha()):
        letter, rest = rest[0].upper(), rest[1:]
    return letter, normalise_toevoeging(rest)


def parse_house_number(text: str) -> HouseNumber | None:
    """Read ``12``, ``12a``, ``12 A``, ``12-2``, ``12 bis``, ``12a-2``; None when it is no house number.

    The toevoeging may hold up to eight letters or digits here; the BAG import allows four.
    """
    match = _NUMBER_RE.match(text)
    if match is None:
        return None
    number = int(match.group(1))
    if not 1 <= number <= MAX_HUISNUMMER:
        return None
    letter, toevoeging = split_suffix(match.group(2))
    if not re.fullmatch(r"[A-Z0-9]{0,8}", toevoeging):
        return None
    return HouseNumber(number, letter, toevoeging)
