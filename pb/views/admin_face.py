"""The admin's pages for the municipality's face: name, colours, contact, logo and statements."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from pb.db import db_session
from pb.forms.municipality import ButtonForm, FaceForm, LogoForm, StatementForm
from pb.models.user import Role
from pb.services import municipality_face
from pb.services.municipality_face import FaceData, Statement
from pb.views.common import actor, require_roles, unit_of_work
from pb.views.municipality import current_face, statement_text

bp = Blueprint("admin_face", __name__, url_prefix="/admin/municipality")


@bp.before_request
def _admins_only() -> None:
    require_roles(Role.ADMIN)


def _fallback_name() -> str:
    return current_face().name or current_app.config["MUNICIPALITY_NAME"]


def _settings_page(form: FaceForm, logo_form: LogoForm, status: int = 200) -> tuple[str, int]:
    face = municipality_face.current(db_session())
    return render_template("admin/municipality.html", form=form, logo_form=logo_form, button=ButtonForm(),
                           stored=face), status


@bp.get("/")
def settings() -> tuple[str, int]:
    """Name, colours, contact details and logo."""
    face = municipality_face.current(db_session())
    form = FaceForm(formdata=None, obj=face)
    if face is None:
        form.name.data = current_app.config["MUNICIPALITY_NAME"]
    return _settings_page(form, LogoForm(formdata=None))


@bp.post("/")
def save_settings() -> Response | tuple[str, int]:
    """Store name, colours and contact details (colours with too little contrast are refused)."""
    form = FaceForm()
    if form.validate_on_submit():
        data = FaceData(name=form.name.data or "", colour_primary=form.colour_primary.data or "",
                        colour_on_primary=form.colour_on_primary.data or "", phone=form.phone.data or "",
                        email=form.email.data or "", address=form.address.data or "",
                        opening_hours=form.opening_hours.data or "")
        with unit_of_work(form) as work:
            municipality_face.update_face(db_session(), actor=actor(), data=data)
        if not work.failed:
            flash(_("De gegevens van de gemeente zijn opgeslagen."), "success")
            return redirect(url_for("admin_face.settings"))
    return _settings_page(form, LogoForm(formdata=None), 400)


@bp.post("/logo")
def upload_logo() -> Response | tuple[str, int]:
    """Put a new logo on the site."""
    form = LogoForm()
    upload = request.files.get("logo")
    if form.validate_on_submit():
        if upload is None or not upload.filename:
            form.logo.errors = [_("Kies een bestand.")]
        else:
            with unit_of_work(form) as work:
                municipality_face.store_logo(db_session(), actor=actor(), stream=upload.stream,
                                             fallback_name=_fallback_name())
            if not work.failed:
                flash(_("Het logo staat op de site."), "success")
                return redirect(url_for("admin_face.settings"))
    face = municipality_face.current(db_session())
    return _settings_page(FaceForm(formdata=None, obj=face), form, 400)


@bp.post("/logo/remove")
def remove_logo() -> Response:
    """Take the logo off the site."""
    if ButtonForm().validate_on_submit():
        with unit_of_work():
            municipality_face.remove_logo(db_session(), actor=actor())
        flash(_("Het logo is weggehaald."), "success")
    return redirect(url_for("admin_face.settings"))


def _statement_title(which: Statement) -> str:
    return _("Toegankelijkheidsverklaring") if which is Statement.ACCESSIBILITY else _("Privacyverklaring")


@bp.route("/statements/<any(accessibility, privacy):which>", methods=["GET", "POST"])
def statement(which: str) -> Response | tuple[str, int]:
    """Write the accessibility or the privacy statement, starting from the prefilled text."""
    kind = Statement(which)
    form = StatementForm() if request.method == "POST" else StatementForm(formdata=None)
    if request.method == "GET":
        form.text.data = statement_text(kind)
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            municipality_face.update_statement(db_session(), actor=actor(), which=kind, text=form.text.data or "",
                                               fallback_name=_fallback_name())
        if not work.failed:
            flash(_("De toegankelijkheidsverklaring is opgeslagen.") if kind is Statement.ACCESSIBILITY
                  else _("De privacyverklaring is opgeslagen."), "success")
            return redirect(url_for("admin_face.statement", which=which))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/statement.html", form=form, which=which, title=_statement_title(kind)), status
