"""Amounts on pages: the currency sign and the amount never end up on two lines, and whole amounts
follow the language's own pattern like amounts with cents do."""

from __future__ import annotations

from flask import session
from flask_babel import refresh

from pb.templating import euro, money


def test_whole_and_full_amounts_keep_the_sign_with_the_number(app):
    with app.test_request_context("/"):
        assert euro(4_000_000, whole=True) == "€\u00a040.000"
        assert euro(4_000_050, whole=True) == "€\u00a040.000,50"
        assert euro(4_000_000) == "€\u00a040.000,00"
        assert " " not in money(750_000_000, "PLN", whole=True)


def test_whole_amounts_in_english_look_like_the_amounts_with_cents(app):
    with app.test_request_context("/"):
        session["lang"] = "en"
        refresh()
        assert euro(4_000_000) == "€40,000.00"
        assert euro(4_000_000, whole=True) == "€40,000"
