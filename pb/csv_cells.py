"""Spreadsheet-safe CSV cells: every CSV export writes its cells through :func:`csv_safe`."""

from __future__ import annotations

# A cell starting with one of these is run as a formula by spreadsheets (THREAT #14).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (THREAT #14)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text
