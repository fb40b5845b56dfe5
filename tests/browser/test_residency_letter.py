"""The issue's proof: letter -> QR link -> log in -> verified resident."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from pb.models.residency import Residency, VerificationMethod
from pb.services import letter_codes
from tests.browser.conftest import screenshot
from tests.factories import PASSWORD, make_area, make_register_entry, make_user

pytestmark = pytest.mark.browser


def test_letter_qr_link_login_verified(live_server, page, session):
    area = make_area(session, name="Ulft", slug="ulft", postcodes=["7071"])
    make_register_entry(session, area, postcode="7071AB", huisnummer=12, toevoeging="A")
    user = make_user(session, email="bewoner@example.test", name="Bep Bewoner")
    batch = letter_codes.generate_codes(session, area, actor=None,
                                        valid_until=dt.date.today() + dt.timedelta(days=30))
    letters = letter_codes.letters_html(batch)
    [row] = list(csv.DictReader(io.StringIO(letter_codes.mailing_csv(batch))))
    user_id = user.id
    session.commit()

    # The printed letter shows the code and a QR code that encodes the verification link.
    page.set_content(letters)
    assert page.locator(".code").inner_text() == row["code"]
    assert "Dorpsstraat 12A" in page.locator(".address").inner_text() and "7071 AB ULFT" in page.locator(".address").inner_text()
    qr = page.locator("img.qr")
    assert qr.is_visible() and qr.get_attribute("src") == letter_codes.qr_data_uri(row["qr_url"])
    assert row["qr_url"].startswith(live_server + "/verify?")
    screenshot(page, "residency-1-letter")

    # Scanning the QR code opens the link; the resident logs in and lands on the filled-in form.
    page.goto(row["qr_url"])
    page.get_by_label("E-mailadres of gebruikersnaam").fill("bewoner@example.test")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    assert page.locator("h1").inner_text() == "Bevestig dat u hier woont"
    assert page.get_by_label("Postcode").input_value() == "7071AB"
    assert page.get_by_label("Huisnummer").input_value() == "12"
    assert page.get_by_label("Code uit uw brief").input_value() == row["code"]
    page.get_by_label("Uw geboortedatum").fill("1985-04-03")
    screenshot(page, "residency-2-verify-form")
    page.get_by_role("button", name="Bevestigen").click()
    assert "U bent nu bevestigd als bewoner van Ulft" in page.content()
    screenshot(page, "residency-3-verified")

    session.rollback()
    residency = session.scalar(select(Residency).where(Residency.user_id == user_id))
    assert residency is not None and residency.method == VerificationMethod.LETTER_CODE
    assert residency.birth_date == dt.date(1985, 4, 3)
