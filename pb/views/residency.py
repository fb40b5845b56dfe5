"""Residents: verify residency with a letter code; see what is stored; delete the account."""

from __future__ import annotations

import logging
import re

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from pb.db import db_session
from pb.extensions import limiter
from pb.forms.residency import DeleteAccountForm, VerifyForm
from pb.services.addresses import parse_house_number
from pb.services import residency as residency_service
from pb.views.common import actor, log_out, unit_of_work

bp = Blueprint("residency", __name__)
_CODE_IN_URL = re.compile(r"((?:^|[?&;]|%3F|%26)code(?:=|%3D))[^&\s\"]*", re.IGNORECASE)


class RedactCodes(logging.Filter):
    """Blank letter codes in request lines (the QR link carries the code in its query string)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message without codes; never drop it."""
        message = record.getMessage()
        if "code" in message.lower():
            record.msg = _CODE_IN_URL.sub(r"\1[weggelaten]", message)
            record.args = ()
        return True


@bp.record_once
def _redact_access_log(_state: object) -> None:
    # The development server logs every request line; keep codes out of it.
    logging.getLogger("werkzeug").addFilter(RedactCodes())


def _prefilled_form() -> VerifyForm:
    """The form filled from the QR link's query string (a GET never writes)."""
    form = VerifyForm(formdata=None)
    form.postcode.data = request.args.get("postcode", "")[:8]
    form.huisnummer.data = request.args.get("huisnummer", "")[:16]
    form.toevoeging.data = request.args.get("toevoeging", "")[:10]
    form.code.data = request.args.get("code", "")[:40]
    return form


def _verify_limit() -> str:
    return str(current_app.config["RATELIMIT_AUTH"])


@bp.route("/verify", methods=["GET", "POST"])
@login_required
@limiter.limit(_verify_limit, methods=["POST"])
def verify() -> str | Response | tuple[str, int]:
    """Become a verified resident with the code from the letter."""
    if request.method == "GET":
        return render_template("residency/verify.html", form=_prefilled_form())
    form = VerifyForm()
    status = 200
    if form.validate_on_submit():
        number = parse_house_number(form.huisnummer.data or "")
        assert number is not None  # the form checked it
        address = residency_service.AddressInput(
            postcode=form.postcode.data or "", huisnummer=number.huisnummer, huisletter=number.huisletter,
            toevoeging=number.toevoeging + (form.toevoeging.data or ""),
        )
        with unit_of_work(form) as work:
            residency = residency_service.verify_with_code(
                db_session(), actor(), address=address, code=form.code.data or "",
                ip=request.remote_addr or "-", birth_date=form.birth_date.data,
            )
        if isinstance(work.error, (residency_service.VerificationRefused, residency_service.VerificationThrottled)):
            form.code.data = ""
        if isinstance(work.error, residency_service.VerificationThrottled):
            status = 429
        if not work.failed:
            area_name = residency.area.name
            flash(_("Gelukt. U bent nu bevestigd als bewoner van %(area)s.", area=area_name), "success")
            return redirect(url_for("auth.account"))
    return render_template("residency/verify.html", form=form), status


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account() -> str | Response:
    """Delete my account after confirming with my password."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if not form.confirm.data:
            form.confirm.errors = [_("Vink aan dat u uw account wilt verwijderen.")]
        else:
            with unit_of_work(form) as work:
                residency_service.delete_account(db_session(), actor(), password=form.password.data or "")
            if not work.failed:
                log_out()
                flash(_("Uw account is verwijderd."), "success")
                return redirect(url_for("public.home"))
    return render_template("residency/delete_account.html", form=form)
