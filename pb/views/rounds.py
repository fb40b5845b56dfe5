"""Public round and proposal pages, and the residents' own proposals and support."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from pb import labels
from pb.db import db_session, utcnow
from pb.extensions import limiter
from pb.forms import options
from pb.forms.rounds import ActionForm, ProposalForm
from pb.models.proposal import Proposal, ProposalStatus
from pb.models.round import BudgetRound, Phase
from pb.services import area_agenda, assistance, authz
from pb.services import ballots as ballot_service
from pb.services import follows, implementations, locations, pabulib_import, photos, stored_files
from pb.services import results as result_service
from pb.services import proposals as proposal_service
from pb.services import rounds as round_service
from pb.services.cost_lines import parse_cost_lines
from pb.services.rounds import RoundFrozen
from pb.views import presenters, presenters_map
from pb.views.common import actor, optional_actor, stored_file_response, unit_of_work
from pb.views.presenters_grants import agenda_options

bp = Blueprint("rounds", __name__)
# Writing proposals (with uploads) and supporting: generous for people, a wall for floods.
DEFAULT_WRITE_LIMIT = "200 per hour"


def _write_limit() -> str:
    return str(current_app.config.get("RATELIMIT_PROPOSALS", DEFAULT_WRITE_LIMIT))



@bp.get("/rounds/<int:round_id>")
def round_page(round_id: int) -> str:
    """A round: phase timeline, budget, rules in plain Dutch, the public change history."""
    session = db_session()
    round_ = round_service.get_round(session, round_id)
    now = utcnow()
    return render_template(
        "rounds/round.html", round=round_, phase=round_.phase_at(now), timeline=round_service.timeline(round_, now),
        rules=presenters.plain_rules(round_), rule_note=pabulib_import.imported_rule_note(session, round_),
        history=presenters.history_rows(round_service.public_history(session, round_), proposal_service.hidden_ids(session, round_)),
        ballot=ballot_service.ballot_proposals(session, round_),
        drafts=proposal_service.drafts_of(session, round_, optional_actor()),
        can_propose=round_.phase_at(now) == Phase.PROPOSALS,
        can_manage=authz.can_manage_area(optional_actor(), round_.area),
        age_refusal=(ballot_service.age_refusal(session, round_, optional_actor(), now)
                     if round_.phase_at(now) == Phase.VOTING else None),
    )


@bp.get("/rounds/<int:round_id>/proposals")
def proposals(round_id: int) -> str:
    """The public proposals of a round with theme/status filters, text search and sorting."""
    session = db_session()
    round_ = round_service.get_round(session, round_id)
    theme_id = request.args.get("theme", type=int)
    status_arg = request.args.get("status", "")
    status = ProposalStatus(status_arg) if status_arg in proposal_service.PUBLIC_STATUSES else None
    sort = request.args.get("sort", "nieuw")
    if sort not in labels.PROPOSAL_SORT:
        sort = "nieuw"
    text = request.args.get("q", "")[:100]
    rows = proposal_service.search_proposals(session, round_, theme_id=theme_id, status=status, text=text, sort=sort)
    found = result_service.proposal_outcomes(session, rows)
    return render_template(
        "rounds/proposals.html", round=round_, proposals=rows, theme_id=theme_id, status=status, sort=sort, q=text,
        counts=proposal_service.support_counts(session, [p.id for p in rows]),
        statuses=proposal_service.PUBLIC_STATUSES, sorts=labels.PROPOSAL_SORT,
        outcome=lambda p: presenters.proposal_outcome(found.get(p.id)),
    )


def _visible_proposal(proposal_id: int) -> Proposal:
    proposal = proposal_service.get_proposal(db_session(), proposal_id)
    proposal_service.require_view(optional_actor(), proposal)
    return proposal


@bp.get("/proposals/<int:proposal_id>")
def proposal(proposal_id: int) -> str:
    """A proposal with its cost, review, status history and the support button."""
    session = db_session()
    p = _visible_proposal(proposal_id)
    user = optional_actor()
    now = utcnow()
    phase = p.round.phase_at(now)
    return render_template(
        "rounds/proposal.html", p=p, round=p.round, phase=phase, form=ActionForm(),
        support_count=proposal_service.support_counts(session, [p.id]).get(p.id, 0),
        is_initiator=proposal_service.is_initiator(user, p),
        supported=proposal_service.supports(session, p, user),
        is_resident=authz.residency_in(session, user, p.round.area) is not None,
        support_open=phase in (Phase.PROPOSALS, Phase.SUPPORT) and p.status == ProposalStatus.SUBMITTED,
        is_author=proposal_service.is_author(user, p),
        editable=phase == Phase.PROPOSALS and p.status in (ProposalStatus.DRAFT, ProposalStatus.SUBMITTED),
        withdrawable=not p.round.is_frozen_at(now) and p.status in proposal_service.WITHDRAWABLE,
        history=presenters.history_rows(proposal_service.status_history(session, p)),
        merged_into=session.get(Proposal, p.merged_into_id) if p.merged_into_id else None,
        outcome=presenters.proposal_outcome(result_service.proposal_outcomes(session, [p]).get(p.id)),
        following=follows.is_following(session, user, proposal=p),
        implementation=implementations.of_proposal(session, p),
        assisted=assistance.was_assisted(session, p),
        can_assist=authz.can_work_info_point(user, p.round.area),
    )


@bp.get("/proposals/<int:proposal_id>/photo")
def photo(proposal_id: int) -> Response:
    """The proposal's photo (re-encoded on upload, served with its own type)."""
    p = _visible_proposal(proposal_id)
    if not p.photo_filename:
        abort(404)
    stored = stored_files.find(db_session(), p.photo_filename, kind=photos.PHOTO_KIND)
    if stored is None:
        abort(404)
    return stored_file_response(stored, max_age=300)


@bp.get("/proposals/<int:proposal_id>/photo/thumbnail")
def photo_thumbnail(proposal_id: int) -> Response:
    """The proposal's photo at card size; the photo itself when it predates thumbnails."""
    p = _visible_proposal(proposal_id)
    if not p.photo_filename:
        abort(404)
    session = db_session()
    stored = (stored_files.find(session, photos.thumbnail_name(p.photo_filename), kind=photos.THUMBNAIL_KIND)
              or stored_files.find(session, p.photo_filename, kind=photos.PHOTO_KIND))
    if stored is None:
        abort(404)
    return stored_file_response(stored, max_age=300)


# --- residents -------------------------------------------------------------------------------------


def proposal_form(round_: BudgetRound, p: Proposal | None, form_class: type[ProposalForm] = ProposalForm) -> ProposalForm:
    """The proposal form with the round's choices, filled from ``p`` on a GET (also for staff's assisted form)."""
    if request.method == "GET" and p is not None:
        form = ProposalForm(obj=p)
        form.theme_id.data = str(p.theme_id or "")
        form.neighbourhood_id.data = str(p.neighbourhood_id or "")
        form.agenda_item_id.data = str(p.agenda_item_id or "")
        form.coinitiators.data = "\n".join(u.email or "" for u in p.coinitiators)
        form.latitude.data = presenters_map.degrees(p.latitude)
        form.longitude.data = presenters_map.degrees(p.longitude)
        for i, line in enumerate(p.cost_lines):
            from pb.templating import euro

            if i >= len(form.cost_lines.entries):
                form.cost_lines.append_entry()
            form.cost_lines.entries[i].item.data = line.description
            form.cost_lines.entries[i].amount.data = euro(line.amount_cents).replace("€", "").strip()
    else:
        form = form_class()
    form.theme_id.choices = options([("", _("Geen thema"))] + [(str(t.id), t.name) for t in round_.themes])
    form.neighbourhood_id.choices = options([("", _("Geen buurt"))] + [(str(n.id), n.name) for n in round_.neighbourhoods])
    form.agenda_item_id.choices = agenda_options(area_agenda.items_of(db_session(), round_.area))
    return form


def _optional_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def proposal_data(form: ProposalForm) -> proposal_service.ProposalData:
    """The service's input from a proposal form (cost amounts parsed; empty cost lines skipped)."""
    lines = parse_cost_lines((entry.item.data, entry.amount.data) for entry in form.cost_lines.entries)
    return proposal_service.ProposalData(
        title=form.title.data or "", summary=form.summary.data or "", description=form.description.data or "",
        location=form.location.data or "", theme_id=_optional_id(form.theme_id.data),
        neighbourhood_id=_optional_id(form.neighbourhood_id.data), agenda_item_id=_optional_id(form.agenda_item_id.data),
        cost_lines=lines,
        coinitiator_emails=[e for e in (form.coinitiators.data or "").split() if e.strip()],
        latitude=locations.parse_degrees(form.latitude.data, field="latitude"),
        longitude=locations.parse_degrees(form.longitude.data, field="longitude"),
        photo_alt=form.photo_alt.data or "",
    )


def uploaded_photo(form: ProposalForm) -> str | None:
    """Store the form's photo (checked and re-encoded); None when none was sent."""
    upload = form.photo.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    return photos.store_photo(db_session(), upload.stream, thumbnail=True)


@bp.route("/rounds/<int:round_id>/proposals/new", methods=["GET", "POST"])
@login_required
@limiter.limit(_write_limit, methods=["POST"])
def new_proposal(round_id: int) -> str | Response:
    """A verified resident starts a proposal (saved as a draft)."""
    session = db_session()
    round_ = round_service.get_round(session, round_id)
    authz.require_resident(session, actor(), round_.area)
    form = proposal_form(round_, None)
    if form.validate_on_submit():
        with unit_of_work(form) as work:  # a refusal rolls back a photo stored in this request too
            data = proposal_data(form)
            photo_name = uploaded_photo(form)
            created = proposal_service.create_proposal(session, round_, actor=actor(), data=data, photo=photo_name)
        if not work.failed:
            flash(_("Uw plan is bewaard als concept. Controleer het en dien het in."), "success")
            return redirect(url_for("rounds.proposal", proposal_id=created.id))
    return render_template("rounds/proposal_form.html", form=form, round=round_, p=None)


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
@limiter.limit(_write_limit, methods=["POST"])
def edit_proposal(proposal_id: int) -> str | Response:
    """The author edits their proposal while the proposal phase is open."""
    session = db_session()
    p = _visible_proposal(proposal_id)
    if not proposal_service.is_author(actor(), p):
        abort(403)
    form = proposal_form(p.round, p)
    if form.validate_on_submit():
        with unit_of_work(form) as work:  # a refusal rolls back a photo stored in this request too
            data = proposal_data(form)
            photo_name = uploaded_photo(form)
            proposal_service.update_proposal(session, p, actor=actor(), data=data, photo=photo_name,
                                             remove_photo=bool(form.remove_photo.data))
        if not work.failed:
            flash(_("De wijzigingen zijn opgeslagen."), "success")
            return redirect(url_for("rounds.proposal", proposal_id=p.id))
    return render_template("rounds/proposal_form.html", form=form, round=p.round, p=p)


def _action(proposal_id: int, call: Any, done: str) -> Response:
    session = db_session()
    p = _visible_proposal(proposal_id)
    form = ActionForm()
    if form.validate_on_submit():
        with unit_of_work(flash_error=True, page=(RoundFrozen,)) as work:
            call(session, p)
        if not work.failed:
            flash(done, "success")
    return redirect(url_for("rounds.proposal", proposal_id=p.id))


@bp.post("/proposals/<int:proposal_id>/submit")
@login_required
@limiter.limit(_write_limit, methods=["POST"])
def submit(proposal_id: int) -> Response:
    """The author submits their draft."""
    return _action(proposal_id, lambda s, p: proposal_service.submit_proposal(s, p, actor=actor()),
                   _("Uw plan is ingediend. Buren kunnen het nu steunen."))


@bp.post("/proposals/<int:proposal_id>/withdraw")
@login_required
@limiter.limit(_write_limit, methods=["POST"])
def withdraw(proposal_id: int) -> Response:
    """The author withdraws their proposal."""
    return _action(proposal_id, lambda s, p: proposal_service.withdraw_proposal(s, p, actor=actor()),
                   _("Uw plan is ingetrokken."))


@bp.post("/proposals/<int:proposal_id>/support")
@login_required
@limiter.limit(_write_limit, methods=["POST"])
def support(proposal_id: int) -> Response:
    """A verified resident supports a proposal."""
    return _action(proposal_id, lambda s, p: proposal_service.support_proposal(s, p, actor=actor()),
                   _("Bedankt! U steunt dit plan."))


@bp.post("/proposals/<int:proposal_id>/unsupport")
@login_required
@limiter.limit(_write_limit, methods=["POST"])
def unsupport(proposal_id: int) -> Response:
    """A resident takes back their support."""
    return _action(proposal_id, lambda s, p: proposal_service.withdraw_support(s, p, actor=actor()),
                   _("U steunt dit plan niet meer."))
