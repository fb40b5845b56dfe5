"""The map of proposals and the point picker: coordinates within the Netherlands, the tile host
in the Content-Security-Policy, the list without JavaScript, photos on the cards, the API."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from pb import create_app
from pb.config import ConfigError
from pb.models.proposal import Proposal
from pb.models.stored_file import StoredFile
from pb.services import locations
from pb.services.photos import THUMBNAIL_KIND, thumbnail_name
from tests.factories import make_proposal, make_round

PDOK = "https://service.pdok.nl"


def _post(**overrides: str) -> dict:
    data = {"title": "Bankje bij de vijver", "summary": "Een bank om te rusten.", "description": "",
            "location": "Vijverpark", "theme_id": "", "neighbourhood_id": "", "coinitiators": "",
            "latitude": "", "longitude": "", "photo_alt": "",
            "cost_lines-0-item": "Bank", "cost_lines-0-amount": "850"}
    data.update(overrides)
    return data


@pytest.fixture
def proposing(client, session, area, resident, auth):
    rnd = make_round(session, area, phase="proposals")
    auth.login(resident.email)
    return rnd


def _count(session) -> int:
    session.commit()
    return session.scalar(select(func.count(Proposal.id)))


@pytest.mark.parametrize(("lat", "lon", "message"), [
    ("48,8566", "2,3522", "Dit punt ligt niet in Nederland."),        # Paris
    ("52,37", "", "Vul beide getallen van het punt in, of geen van beide."),
    ("", "4,89", "Vul beide getallen van het punt in, of geen van beide."),
    ("noord", "4,89", "Vul een getal in, bijvoorbeeld 51,8936."),
    ("52.1.2", "4,89", "Vul een getal in, bijvoorbeeld 51,8936."),
    ("12,2", "-68,26", "Dit punt ligt niet in Nederland."),          # Bonaire: not on this map
    ("NaN", "inf", "Vul een getal in, bijvoorbeeld 51,8936."),
])
def test_point_outside_the_netherlands_or_malformed_is_a_dutch_form_error(client, session, proposing, lat, lon,
                                                                          message):
    resp = client.post(f"/rounds/{proposing.id}/proposals/new", data=_post(latitude=lat, longitude=lon))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and message in page
    assert 'class="error-summary"' in page
    assert re.search(r'href="#(latitude|longitude)"', page)
    assert _count(session) == 0


def test_point_typed_with_a_dutch_comma_is_stored_and_shown_on_edit(client, session, proposing):
    resp = client.post(f"/rounds/{proposing.id}/proposals/new",
                       data=_post(latitude=" 51,8936 ", longitude="6.38061234"))
    assert resp.status_code == 302
    p = session.scalar(select(Proposal))
    assert (p.latitude, p.longitude, p.location) == (51.8936, 6.380612, "Vijverpark")
    edit = client.get(f"/proposals/{p.id}/edit").get_data(as_text=True)
    assert 'value="51,8936"' in edit and 'value="6,380612"' in edit
    # Emptying both fields removes the point; the text location stays.
    client.post(f"/proposals/{p.id}/edit", data=_post(latitude="", longitude=""))
    session.commit()
    assert (p.latitude, p.longitude, p.location) == (None, None, "Vijverpark")


def test_text_location_alone_works_without_a_point(client, session, proposing):
    assert client.post(f"/rounds/{proposing.id}/proposals/new", data=_post()).status_code == 302
    p = session.scalar(select(Proposal))
    assert (p.location, p.latitude, p.longitude) == ("Vijverpark", None, None)


def test_the_database_refuses_half_a_point(session, area):
    rnd = make_round(session, area, phase="proposals")
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        make_proposal(session, rnd, latitude=52.0, longitude=None)
    session.rollback()


def test_the_netherlands_rectangle():
    assert locations.point_in_netherlands(53.45, 6.8) == locations.Point(53.45, 6.8)   # Groningen coast
    assert locations.point_in_netherlands(50.76, 5.96) == locations.Point(50.76, 5.96)  # Vaals
    assert locations.point_in_netherlands(None, None) is None


# --- the Content-Security-Policy allows exactly the configured tile host --------------------------


def _img_src(response) -> list[str]:
    policy = response.headers["Content-Security-Policy"]
    return re.search(r"img-src ([^;]*);", policy).group(1).split()


def test_csp_allows_the_default_pdok_tile_host_for_images_only(client):
    response = client.get("/")
    assert _img_src(response) == ["'self'", "data:", PDOK]
    policy = response.headers["Content-Security-Policy"]
    assert policy.count("pdok") == 1 and "connect-src" not in policy
    assert re.search(r"default-src 'self';", policy) and re.search(r"script-src 'self';", policy)


def test_csp_follows_the_configured_tile_url(app):
    other = create_app({**app.config, "MAP_TILE_URL": "https://tiles.example.nl:8443/brt/{z}/{x}/{y}.png"})
    response = other.test_client().get("/")
    assert _img_src(response) == ["'self'", "data:", "https://tiles.example.nl:8443"]
    assert "pdok" not in response.headers["Content-Security-Policy"]


def test_no_tile_url_means_no_map_and_no_tile_host(app, session, area):
    rnd = make_round(session, area, phase="support")
    make_proposal(session, rnd, status="submitted", title="Met punt", latitude=51.9, longitude=6.38)
    round_id = rnd.id
    session.commit()  # and read nothing more: SQLite would hold the write lock against the other app
    other = create_app({**app.config, "MAP_TILE_URL": ""})
    response = other.test_client().get(f"/rounds/{round_id}/proposals")
    assert _img_src(response) == ["'self'", "data:"]
    page = response.get_data(as_text=True)
    assert "Met punt" in page and "data-proposal-map" not in page and "leaflet" not in page


@pytest.mark.parametrize("url", [
    "javascript:alert(1)//{z}/{x}/{y}",
    "https://{s}.tile.example.nl/{z}/{x}/{y}.png",
    "https://tiles.example.nl/wmts",
    "https://tiles.example.nl; script-src *;/{z}/{x}/{y}",
])
def test_a_tile_url_that_is_not_one_https_host_with_xyz_refuses_to_start(app, url):
    with pytest.raises(ConfigError, match="PB_MAP_TILE_URL"):
        create_app({**app.config, "MAP_TILE_URL": url})


@pytest.mark.parametrize(("key", "value"), [
    ("MAP_CENTER", "Ulft"), ("MAP_CENTER", [51.9]), ("MAP_CENTER", [95, 6]), ("MAP_CENTER", [True, 6]),
    ("MAP_ZOOM", "13"), ("MAP_MAX_ZOOM", 40),
])
def test_a_map_view_the_script_cannot_use_refuses_to_start(app, key, value):
    with pytest.raises(ConfigError, match=f"PB_{key}"):
        create_app({**app.config, key: value})


# --- the list is the page; the map only enhances it --------------------------------------------------


def test_proposals_page_lists_every_proposal_and_hides_the_map_until_the_script_runs(client, session, area):
    rnd = make_round(session, area, phase="support")
    make_proposal(session, rnd, status="submitted", title="Bankje bij de vijver", latitude=51.8936, longitude=6.3806)
    make_proposal(session, rnd, status="submitted", title="Zonder plek")
    make_proposal(session, rnd, status="draft", title="Geheim concept", latitude=51.89, longitude=6.38)
    page = client.get(f"/rounds/{rnd.id}/proposals").get_data(as_text=True)
    assert "Bankje bij de vijver" in page and "Zonder plek" in page and "Geheim concept" not in page
    section = re.search(r"<section class=\"map-section\"[^>]*>", page).group(0)
    assert " hidden" in section  # without JavaScript nobody sees an empty map
    assert "1 plan heeft een punt op de kaart." in page and "Alle plannen staan ook in de lijst hieronder." in page
    cards = re.findall(r'<li class="card[^"]*"( data-point="[^"]*")?>\s*<h2 class="card-title"><a href="[^"]+">([^<]+)</a>',
                       page)
    assert sorted(cards) == [("", "Zonder plek"), (' data-point="51.893600,6.380600"', "Bankje bij de vijver")]
    assert f'data-tile-url="{PDOK}/brt/achtergrondkaart/wmts/v2_0/standaard/EPSG:3857/{{z}}/{{x}}/{{y}}.png"' in page
    assert "/static/vendor/leaflet/leaflet.js" in page and "/static/js/proposal_map.js" in page
    assert "<script>" not in page and "style=" not in page


def test_no_map_section_when_no_proposal_has_a_point(client, session, area):
    rnd = make_round(session, area, phase="support")
    make_proposal(session, rnd, status="submitted", title="Zonder plek")
    page = client.get(f"/rounds/{rnd.id}/proposals").get_data(as_text=True)
    assert "Zonder plek" in page and "data-proposal-map" not in page


def test_the_proposal_form_works_without_a_map_script(client, session, proposing):
    page = client.get(f"/rounds/{proposing.id}/proposals/new").get_data(as_text=True)
    assert 'name="location"' in page and 'name="latitude"' in page and 'name="longitude"' in page
    picker = re.search(r'<div class="map map-picker"[^>]*>', page).group(0)
    assert " hidden" in picker and "data-center=\"[51.8936, 6.3806]\"" in picker


def test_vendored_leaflet_is_served(client):
    js = client.get("/static/vendor/leaflet/leaflet.js")
    assert js.status_code == 200 and b"Leaflet 1.9.4" in js.data[:300]
    assert client.get("/static/vendor/leaflet/leaflet.css").status_code == 200
    assert client.get("/static/vendor/leaflet/images/marker-icon.png").status_code == 200


# --- photos on cards -----------------------------------------------------------------------------------


def _photo(size=(1200, 500)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 120, 60)).save(out, "JPEG")
    return out.getvalue()


def test_card_shows_a_thumbnail_with_size_and_alt_text(client, session, proposing):
    resp = client.post(f"/rounds/{proposing.id}/proposals/new", content_type="multipart/form-data",
                       data=_post(photo=(io.BytesIO(_photo()), "vijver.jpg"), photo_alt="Het grasveld bij de vijver"))
    assert resp.status_code == 302
    p = session.scalar(select(Proposal))
    client.post(f"/proposals/{p.id}/submit")
    other = make_proposal(session, proposing, status="submitted", title="Speeltuin <opknappen>",
                          photo_filename=p.photo_filename)
    page = client.get(f"/rounds/{proposing.id}/proposals").get_data(as_text=True)
    imgs = re.findall(r'<img class="card-photo" src="([^"]+)" alt="([^"]*)"\s+width="(\d+)" height="(\d+)"', page)
    assert sorted(imgs) == sorted([
        (f"/proposals/{p.id}/photo/thumbnail", "Het grasveld bij de vijver", "480", "360"),
        (f"/proposals/{other.id}/photo/thumbnail", "Foto bij het plan Speeltuin &lt;opknappen&gt;", "480", "360"),
    ])
    assert 'alt="Het grasveld bij de vijver"' in client.get(f"/proposals/{p.id}").get_data(as_text=True)
    thumb = client.get(f"/proposals/{p.id}/photo/thumbnail")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg" and "max-age=300" in thumb.headers["Cache-Control"]
    assert Image.open(io.BytesIO(thumb.data)).size == (480, 360)
    assert len(thumb.data) < len(client.get(f"/proposals/{p.id}/photo").data)


def test_thumbnail_goes_with_the_photo_and_follows_the_proposals_visibility(client, session, proposing, auth):
    client.post(f"/rounds/{proposing.id}/proposals/new", content_type="multipart/form-data",
                data=_post(photo=(io.BytesIO(_photo()), "vijver.jpg")))
    p = session.scalar(select(Proposal))
    kinds = sorted(session.scalars(select(StoredFile.kind)))
    assert kinds == ["photo", THUMBNAIL_KIND]
    assert session.scalar(select(StoredFile.name).where(StoredFile.kind == THUMBNAIL_KIND)) == \
        thumbnail_name(p.photo_filename)
    auth.logout()
    assert client.get(f"/proposals/{p.id}/photo/thumbnail").status_code == 404  # a draft: only its author
    auth.login("jan@example.test")
    client.post(f"/proposals/{p.id}/edit", data=_post(remove_photo="y"))
    session.commit()
    assert p.photo_filename is None and session.scalar(select(func.count(StoredFile.id))) == 0
    assert client.get(f"/proposals/{p.id}/photo/thumbnail").status_code == 404


def test_a_photo_from_before_thumbnails_is_served_at_card_size_by_the_browser(client, session, area):
    from pb.services import stored_files

    rnd = make_round(session, area, phase="support")
    name = stored_files.put(session, _photo((300, 300)), kind="photo", content_type="image/jpeg", suffix=".jpg").name
    p = make_proposal(session, rnd, status="submitted", photo_filename=name)
    served = client.get(f"/proposals/{p.id}/photo/thumbnail")
    assert served.status_code == 200 and Image.open(io.BytesIO(served.data)).size == (300, 300)


# --- the API ---------------------------------------------------------------------------------------


def test_api_gives_the_point_of_a_public_proposal(client, session, area):
    rnd = make_round(session, area, phase="support")
    with_point = make_proposal(session, rnd, status="submitted", latitude=51.8936, longitude=6.3806)
    without = make_proposal(session, rnd, status="submitted")
    data = client.get(f"/api/v1/proposals/{with_point.id}").get_json()
    assert data["point"] == {"latitude": 51.8936, "longitude": 6.3806}
    assert client.get(f"/api/v1/proposals/{without.id}").get_json()["point"] is None
