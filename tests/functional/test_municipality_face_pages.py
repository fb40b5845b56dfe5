"""The admin sets the municipality's face; every page shows it, with contact and both statements."""

from __future__ import annotations

import datetime as dt
import io
import re

from PIL import Image
from sqlalchemy import select

from pb.db import utcnow
from pb.models.audit import AuditEntry
from pb.models.municipality import MunicipalityFace
from pb.models.stored_file import StoredFile
from pb.models.user import Role
from tests.factories import make_area, make_proposal, make_round, make_user

FOOTER_LINKS = ('href="/contact"', 'href="/toegankelijkheid"', 'href="/privacy"')


def _settings(**overrides: str) -> dict[str, str]:
    return {"name": "Gemeente Testdorp", "colour_primary": "#005a3c", "colour_on_primary": "#ffffff",
            "phone": "14 0315", "email": "infopunt@example.nl", "address": "Markt 1\n1234 AB Testdorp",
            "opening_hours": "maandag tot en met vrijdag 9.00 tot 17.00 uur"} | overrides


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 60), (0, 90, 60)).save(out, "PNG")
    return out.getvalue()


def _admin(session, auth):
    admin = make_user(session, role=Role.ADMIN, email="beheer@example.test")
    session.commit()
    auth.login(admin.email)
    return admin


def test_low_contrast_colour_is_refused_with_a_dutch_form_error(client, auth, session):
    _admin(session, auth)
    resp = client.post("/admin/municipality/", data=_settings(colour_primary="#ffbf47"))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "De hoofdkleur is te licht" in page and 'aria-invalid="true"' in page
    assert session.scalar(select(MunicipalityFace)) is None
    resp = client.post("/admin/municipality/", data=_settings(colour_on_primary="#3a6a5a"))
    assert resp.status_code == 400 and "slecht leesbaar" in resp.get_data(as_text=True)
    assert session.scalar(select(MunicipalityFace)) is None


def test_admin_sets_name_colours_and_contact_shown_on_every_page(client, auth, session):
    admin = _admin(session, auth)
    resp = client.post("/admin/municipality/", data=_settings())
    assert resp.status_code == 302
    face = session.scalar(select(MunicipalityFace))
    assert (face.name, face.colour_primary, face.phone) == ("Gemeente Testdorp", "#005a3c", "14 0315")
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "municipality.update"))
    assert entry.actor_id == admin.id and entry.after["colour_primary"] == "#005a3c"

    home = client.get("/").get_data(as_text=True)
    assert "Gemeente Testdorp" in home and 'href="tel:140315"' in home and "Markt 1" in home
    theme_url = re.search(r'<link rel="stylesheet" href="(/theme\.css\?v=\d+)">', home).group(1)
    css = client.get(theme_url)
    assert css.mimetype == "text/css"
    assert "--utrecht-page-header-background-color: #005a3c;" in css.get_data(as_text=True)
    assert "--utrecht-page-header-color: #ffffff;" in css.get_data(as_text=True)


def test_logo_upload_is_checked_stored_and_shown(client, auth, session):
    _admin(session, auth)
    refused = client.post("/admin/municipality/logo", data={"logo": (io.BytesIO(b"<svg/>"), "logo.svg")},
                          content_type="multipart/form-data")
    assert refused.status_code == 400 and "Kies een logo in PNG- of JPEG-formaat." in refused.get_data(as_text=True)
    resp = client.post("/admin/municipality/logo", data={"logo": (io.BytesIO(_png()), "logo.png")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    name = session.scalar(select(MunicipalityFace)).logo_name
    home = client.get("/").get_data(as_text=True)
    assert f'<img class="brand-logo" src="/logo/{name}" alt="">' in home
    logo = client.get(f"/logo/{name}")
    assert logo.status_code == 200 and logo.mimetype == "image/png" and logo.data.startswith(b"\x89PNG")
    assert client.post("/admin/municipality/logo/remove").status_code == 302
    assert "brand-logo" not in client.get("/").get_data(as_text=True)
    # Still served while other app hosts may show it (their face is kept 30 s), gone after the sweep.
    assert client.get(f"/logo/{name}").status_code == 200
    stored = session.scalar(select(StoredFile).where(StoredFile.name == name))
    stored.expires_at = utcnow() - dt.timedelta(seconds=1)
    session.commit()
    assert client.get(f"/logo/{name}").status_code == 404


def test_face_pages_are_for_admins_only(client, auth, session):
    manager = make_user(session, role=Role.MANAGER, email="regisseur@example.test")
    session.commit()
    assert client.get("/admin/municipality/").status_code in (302, 401)
    auth.login(manager.email)
    assert client.get("/admin/municipality/").status_code == 403
    assert client.post("/admin/municipality/", data=_settings()).status_code == 403
    assert client.post("/admin/municipality/statements/privacy", data={"text": "Niets."}).status_code == 403
    assert session.scalar(select(MunicipalityFace)) is None


def test_footer_links_to_contact_and_both_statements_on_every_page(client, auth, session):
    area = make_area(session, slug="ulft", name="Ulft")
    round_ = make_round(session, area, phase="support")
    proposal = make_proposal(session, round_, title="Bankjes")
    resident = make_user(session, email="jan@example.test")
    session.commit()
    pages = ["/", "/areas/ulft", f"/rounds/{round_.id}", f"/rounds/{round_.id}/proposals",
             f"/proposals/{proposal.id}", "/results", "/login", "/register", "/open-data/", "/contact",
             "/toegankelijkheid", "/privacy", "/bestaat-niet"]
    for path in pages:
        body = client.get(path).get_data(as_text=True)
        footer = body.split('<footer class="site-footer">', 1)[1]
        assert all(link in footer for link in FOOTER_LINKS), path
    auth.login(resident.email)
    for path in ["/account", "/vote", "/mijn"]:
        footer = client.get(path).get_data(as_text=True).split('<footer class="site-footer">', 1)[1]
        assert all(link in footer for link in FOOTER_LINKS), path


def test_statements_start_from_the_prefilled_dutch_text(client, session, app):
    privacy = client.get("/privacy").get_data(as_text=True)
    name = app.config["MUNICIPALITY_NAME"]
    assert "<h1>Privacyverklaring</h1>" in privacy
    assert f"{name} is verantwoordelijk voor de gegevens" in privacy
    for heading in ("Welke gegevens", "Waarom", "Hoe lang", "Uw rechten"):
        assert f"<h2>{heading}</h2>" in privacy
    assert "Het adressenbestand en de codes uit de brieven wissen wij na de uitslag" in privacy
    accessibility = client.get("/toegankelijkheid").get_data(as_text=True)
    assert "<h1>Toegankelijkheidsverklaring</h1>" in accessibility and "WCAG" in accessibility
    assert "<h2>Iets werkt niet?</h2>" in accessibility


def test_admin_edits_a_statement_from_the_template(client, auth, session):
    _admin(session, auth)
    form = client.get("/admin/municipality/statements/accessibility").get_data(as_text=True)
    assert "## Welke eisen" in form  # the textarea starts with the template
    text = "Wij doen ons best.\n\n## Bekende problemen\n- De kaart <script>werkt</script> niet met een toetsenbord.\n- Nog iets."
    resp = client.post("/admin/municipality/statements/accessibility", data={"text": text})
    assert resp.status_code == 302
    page = client.get("/toegankelijkheid").get_data(as_text=True)
    assert "<p>Wij doen ons best.</p>" in page and "<h2>Bekende problemen</h2>" in page
    assert "<li>De kaart &lt;script&gt;werkt&lt;/script&gt; niet met een toetsenbord.</li><li>Nog iets.</li>" in page
    assert "Welke eisen" not in page
    empty = client.post("/admin/municipality/statements/privacy", data={"text": "  "})
    assert empty.status_code == 400 and "Vul dit veld in." in empty.get_data(as_text=True)


def test_english_pages_keep_the_dutch_statement_marked_as_dutch(client):
    client.post("/language", data={"lang": "en", "next": "/privacy"})
    page = client.get("/privacy").get_data(as_text=True)
    assert "<h1>Privacy statement</h1>" in page and '<div class="statement statement-text" lang="nl">' in page
    assert ">Accessibility</a>" in page and ">Contact</a>" in page


def test_letters_made_by_the_cli_carry_the_admins_name_with_a_logo_on_the_site(app, runner, session, tmp_path):
    from pb.services import municipality_face

    app.config["SERVER_NAME"] = None  # as deployed: the CLI has no site address to build links with
    from pb.services.municipality_face import FaceData

    make_area(session, slug="ulft", postcodes=["7071"])
    admin = make_user(session, role=Role.ADMIN)
    municipality_face.update_face(session, actor=admin, data=FaceData(
        name="Gemeente Brievenstad", colour_primary="", colour_on_primary="", phone="", email="", address="",
        opening_hours=""))
    municipality_face.store_logo(session, actor=admin, stream=io.BytesIO(_png()), fallback_name="x")
    session.commit()
    register = tmp_path / "adressen.csv"
    register.write_text("postcode;huisnummer;toevoeging;gebied\n7071AB;1;;\n")
    assert runner.invoke(args=["pb", "import-addresses", str(register)]).exit_code == 0
    out_csv, out_html = tmp_path / "codes.csv", tmp_path / "letters.html"
    result = runner.invoke(args=["pb", "letter-codes", "ulft", "--csv", str(out_csv), "--html", str(out_html)])
    assert result.exit_code == 0, result.output
    assert "Gemeente Brievenstad · Buurtbudget" in out_html.read_text()
