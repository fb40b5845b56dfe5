"""Jinja filters and globals: euros, Dutch dates, the language switch."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Flask
from flask_babel import format_currency, format_date, format_datetime, get_locale


def money(cents: int | None, currency: str = "EUR", *, whole: bool = False) -> str:
    """Format integer cents (hundredths) in ``currency`` in the current language (``PLN 7.500.000,00``)."""
    if cents is None:
        return ""
    amount = Decimal(cents) / 100
    if whole and cents % 100 == 0:
        # The language's own pattern without the cents: "€ 40.000" (no-break space) in Dutch, "€40,000" in English.
        pattern = get_locale().currency_formats["standard"].pattern.replace("0.00", "0")
        return format_currency(amount, currency, format=pattern, currency_digits=False)
    return format_currency(amount, currency)


def euro(cents: int | None, *, whole: bool = False) -> str:
    """Format integer cents as euros in the current language (``€ 1.234,50``)."""
    return money(cents, "EUR", whole=whole)


def datum(value: dt.date | dt.datetime | None) -> str:
    """Format a date as ``24 november 2026`` (in Europe/Amsterdam for datetimes)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return format_datetime(value, "d MMMM y")
    return format_date(value, "d MMMM y")


def datumtijd(value: dt.datetime | None) -> str:
    """Format a moment as ``24 november 2026, 14:05`` in Europe/Amsterdam."""
    if value is None:
        return ""
    return format_datetime(value, "d MMMM y, HH:mm")


def init_app(app: Flask) -> None:
    """Register the filters and globals."""
    app.jinja_env.filters["euro"] = euro
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["datum"] = datum
    app.jinja_env.filters["datumtijd"] = datumtijd
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
    app.jinja_env.globals["municipality_name"] = lambda: app.config["MUNICIPALITY_NAME"]
