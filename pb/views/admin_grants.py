"""The municipality's settings for small grants: per area the pot and rules and the information-point
staff; per gebiedsregisseur the mandate. Admins only."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from pb.db import by_id, db_session
from pb.errors import NotFound
from pb.forms import options
from pb.forms.grants import GrantSettingsForm, MandateForm
from pb.models.area import Area
from pb.models.user import Role, User
from pb.services import grant_settings, pots
from pb.services import areas as area_service
from pb.services.money import parse_euros
from pb.templating import euro
from pb.views.common import actor, require_roles, unit_of_work
from pb.views.grants import euros_field

bp = Blueprint("admin_grants", __name__, url_prefix="/admin")


@bp.before_request
def _admins_only() -> None:
    require_roles(Role.ADMIN)


def _plain(cents: int) -> str:
    return euro(cents).replace("€", "").replace("\u00a0", " ").strip()


def _settings_form(area: Area) -> GrantSettingsForm:
    session = db_session()
    if request.method == "GET":
        form = GrantSettingsForm(formdata=None)
        settings = grant_settings.settings_for(session, area)
        pot = pots.pot_for(session, area)
        form.year.data = pot.year if pot else pots.current_year()
        form.total.data = _plain(pot.total_cents) if pot else ""
        form.rounds.data = _plain(pot.rounds_cents) if pot else "0"
        form.grants.data = _plain(pot.grants_cents) if pot else ""
        form.min_backing.data = settings.min_backing
        form.ceiling.data = _plain(settings.ceiling_cents)
        form.receipts_above.data = _plain(settings.receipts_above_cents)
        form.service_days.data = settings.service_days
        form.staff_ids.data = grant_settings.staff_ids_of(session, area)
    else:
        form = GrantSettingsForm()
    form.staff_ids.choices = options((u.id, f"{u.name} ({u.login_name})")
                                     for u in grant_settings.staff_accounts(session))
    return form


def _euros(form: GrantSettingsForm, name: str) -> int:
    return euros_field(getattr(form, name).data, name)


@bp.route("/areas/<slug>/buurtbudget", methods=["GET", "POST"])
def area_settings(slug: str) -> str | Response:
    """This year's pot of an area, its rules for small grants and its information-point staff."""
    session = db_session()
    area = area_service.get_by_slug(session, slug)
    form = _settings_form(area)
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            pots.set_pot(session, area, actor=actor(), data=pots.PotData(
                year=form.year.data or 0, total_cents=_euros(form, "total"), rounds_cents=_euros(form, "rounds"),
                grants_cents=_euros(form, "grants")))
            grant_settings.save_settings(session, area, actor=actor(), data=grant_settings.SettingsData(
                min_backing=form.min_backing.data or 0, ceiling_cents=_euros(form, "ceiling"),
                receipts_above_cents=_euros(form, "receipts_above"), service_days=form.service_days.data or 0))
            grant_settings.set_staff(session, area, actor=actor(), user_ids=list(form.staff_ids.data or []))
        if not work.failed:
            flash(_("De instellingen van het buurtbudget zijn opgeslagen."), "success")
            return redirect(url_for("admin_grants.area_settings", slug=area.slug))
    return render_template("admin_grants/area_settings.html", form=form, area=area,
                           pot=pots.pot_for(session, area))


@bp.get("/mandates")
def mandates() -> str:
    """Every gebiedsregisseur and admin with the amount they may grant alone."""
    session = db_session()
    people = grant_settings.decision_makers(session)
    forms = {}
    for person in people:
        form = MandateForm(formdata=None, prefix=f"m{person.id}")
        form.amount.data = _plain(grant_settings.mandate_of(session, person))
        forms[person.id] = form
    return render_template("admin_grants/mandates.html", people=people, forms=forms)


@bp.post("/mandates/<int:user_id>")
def set_mandate(user_id: int) -> Response:
    """Set one person's mandate."""
    session = db_session()
    person = by_id(session, User, user_id)
    if person is None:
        raise NotFound(_("Dit account bestaat niet."))
    form = MandateForm(prefix=f"m{person.id}")
    if form.validate_on_submit():
        with unit_of_work(flash_error=True) as work:
            grant_settings.set_mandate(session, person, actor=actor(), amount_cents=parse_euros(form.amount.data or ""))
        if not work.failed:
            flash(_("Het mandaat van %(name)s is opgeslagen.", name=person.name), "success")
    else:
        flash(_("Vul een bedrag in euro's in, bijvoorbeeld 1.234,50."), "error")
    return redirect(url_for("admin_grants.mandates"))
