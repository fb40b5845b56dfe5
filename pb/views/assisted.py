"""Assisted participation at the information point: staff file a proposal or a support for a
resident who comes by (found by e-mail address or username, as for paper ballots), with the
resident's consent. Scoped to the staff member's areas through :mod:`pb.services.authz`."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from pb.db import db_session, utcnow
from pb.errors import NotFound
from pb.forms import options
from pb.forms.assisted import AssistedProposalForm, AssistedSupportForm
from pb.models.proposal import Proposal
from pb.models.round import BudgetRound, Phase
from pb.models.user import Role
from pb.services import assistance, authz, paper_ballots
from pb.services import rounds as round_service
from pb.views.common import actor, require_roles, unit_of_work
from pb.views.rounds import proposal_data, proposal_form, uploaded_photo

bp = Blueprint("assisted", __name__, url_prefix="/infopunt")


@bp.before_request
def _staff_only() -> None:
    require_roles(Role.STAFF, Role.MANAGER)


def _round(round_id: int) -> BudgetRound:
    """The round, if the staff member works the information point of its area (else 403)."""
    round_ = round_service.get_round(db_session(), round_id)
    authz.require_info_point(actor(), round_.area)
    return round_


@bp.get("/assist")
def index() -> str:
    """Rounds in the staff member's areas where residents can file plans or give support now."""
    now = utcnow()
    rounds = assistance.rounds_to_assist(db_session(), actor(), now=now)
    return render_template("assisted/index.html", rounds=rounds, now=now, Phase=Phase)


@bp.route("/rounds/<int:round_id>/assisted-proposal", methods=["GET", "POST"])
def proposal(round_id: int) -> str | Response:
    """Write and submit a plan for a resident who came by (marked assisted in the history)."""
    session = db_session()
    round_ = _round(round_id)
    form = proposal_form(round_, None, AssistedProposalForm)
    assert isinstance(form, AssistedProposalForm)
    if form.validate_on_submit():
        with unit_of_work(form) as work:  # a refusal rolls back a photo stored in this request too
            resident = paper_ballots.find_voter(session, round_, form.login.data or "")
            data = proposal_data(form)
            photo_name = uploaded_photo(form)
            created = assistance.file_proposal(session, round_, staff=actor(), resident=resident, data=data,
                                               consent=bool(form.consent.data), photo=photo_name)
        if not work.failed:
            flash(_("Het plan is ingediend voor %(name)s. Buren kunnen het nu steunen.", name=resident.name),
                  "success")
            return redirect(url_for("rounds.proposal", proposal_id=created.id))
    return render_template("rounds/proposal_form.html", form=form, round=round_, p=None, assisted=True)


@bp.route("/rounds/<int:round_id>/assisted-support", methods=["GET", "POST"])
def support(round_id: int) -> str | Response:
    """Record a resident's support for a plan, on their behalf (marked assisted in the history)."""
    session = db_session()
    round_ = _round(round_id)
    open_proposals = assistance.supportable(session, round_, utcnow())
    form = AssistedSupportForm()
    if request.method == "GET":  # from a plan's page: that plan is chosen already
        form.proposal_id.data = request.args.get("plan", "")[:12]
    form.proposal_id.choices = options([("", _("Kies een plan"))] + [(str(p.id), p.title) for p in open_proposals])
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            resident = paper_ballots.find_voter(session, round_, form.login.data or "")
            chosen = _chosen(open_proposals, form.proposal_id.data)
            assistance.file_support(session, chosen, staff=actor(), resident=resident,
                                    consent=bool(form.consent.data))
        if not work.failed:
            flash(_("De steun van %(name)s voor '%(title)s' is bewaard.", name=resident.name, title=chosen.title),
                  "success")
            return redirect(url_for("assisted.support", round_id=round_.id))
    return render_template("assisted/support.html", form=form, round=round_, proposals=open_proposals)


def _chosen(open_proposals: list[Proposal], value: str | None) -> Proposal:
    for p in open_proposals:
        if str(p.id) == value:
            return p
    raise NotFound(_("Dit plan zoekt nu geen steun. Kies een plan uit de lijst."), field="proposal_id")
