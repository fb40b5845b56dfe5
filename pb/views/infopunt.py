"""The information point: staff find an address, check an ID and verify a resident in person."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from pb.db import db_session
from pb.errors import DomainError, NotFound
from pb.forms.residency import InPersonExistingForm, InPersonNewForm, SearchAddressForm
from pb.models.register import RegisterEntry
from pb.models.user import Role
from pb.services import accounts, address_register, authz
from pb.services import residency as residency_service
from pb.views.common import actor, error_onto_form, require_roles, unit_of_work

bp = Blueprint("infopunt", __name__, url_prefix="/infopunt")


@bp.before_request
def _staff_only() -> None:
    require_roles(Role.STAFF, Role.MANAGER)


def _entry(entry_id: int) -> RegisterEntry:
    """The register entry, if the staff member works the information point of its area (else 403)."""
    entry = db_session().get(RegisterEntry, entry_id)
    if entry is None:
        raise NotFound(_("Dit adres staat niet (meer) in het adressenbestand."))
    authz.require_info_point(actor(), entry.area)
    return entry


@bp.get("/")
def index() -> str:
    """Search the register by postcode and house number."""
    form = SearchAddressForm(request.args if request.args else None)
    entries = None
    if request.args and form.validate():
        try:
            entries = address_register.find_entries(db_session(), form.postcode.data or "", form.huisnummer.data,
                                                    area_ids=authz.info_point_area_ids(actor()))
        except DomainError as exc:
            error_onto_form(form, exc)
    return render_template("infopunt/index.html", form=form, entries=entries)


def _render_entry(entry: RegisterEntry, existing: InPersonExistingForm | None = None,
                  new: InPersonNewForm | None = None) -> str:
    return render_template("infopunt/entry.html", entry=entry,
                           existing=existing or InPersonExistingForm(formdata=None),
                           new=new or InPersonNewForm(formdata=None))


@bp.get("/addresses/<int:entry_id>")
def entry(entry_id: int) -> str:
    """One address: verify an existing account or make a new one."""
    return _render_entry(_entry(entry_id))


@bp.post("/addresses/<int:entry_id>/verify-account")
def verify_account(entry_id: int) -> str | Response:
    """Verify the account with this e-mail address on this address (ID checked)."""
    entry_row = _entry(entry_id)
    form = InPersonExistingForm()
    if form.validate_on_submit():
        user = accounts.find_by_login(db_session(), form.email.data or "")
        if user is None:
            form.email.errors = [_("Er is geen account met dit e-mailadres. Maak hieronder een account.")]
        else:
            with unit_of_work(form) as work:
                residency_service.verify_in_person(
                    db_session(), user, entry_row, actor=actor(), id_checked=bool(form.id_checked.data),
                    birth_date=form.birth_date.data,
                )
            if not work.failed:
                flash(_("%(name)s is nu bevestigd als bewoner van %(area)s.", name=user.name,
                        area=entry_row.area.name), "success")
                return redirect(url_for("infopunt.index"))
    return _render_entry(entry_row, existing=form)


@bp.post("/addresses/<int:entry_id>/new-account")
def new_account(entry_id: int) -> str:
    """Create an account without e-mail, verify it, and show printable login instructions once."""
    entry_row = _entry(entry_id)
    form = InPersonNewForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            login = residency_service.create_account_in_person(
                db_session(), entry_row, actor=actor(), name=form.name.data or "",
                id_checked=bool(form.id_checked.data), birth_date=form.birth_date.data,
            )
        if not work.failed:
            area_name = entry_row.area.name
            return render_template("infopunt/login_instructions.html", login=login, area_name=area_name)
    return _render_entry(entry_row, new=form)
