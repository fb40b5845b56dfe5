"""The manager's side of budget rounds: configure, move phases, review proposals.

Only area managers (and admins) of the round's area get in. Staff (information point) do not
review: they are not scoped to areas, and a verdict decides what goes on a ballot, which is the
area manager's accountable decision.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from pb.db import db_session, utcnow
from pb.errors import ValidationFailed
from pb.forms import options
from pb.forms.rounds import (
    CostForm,
    HideForm,
    MergeForm,
    NextPhaseForm,
    PhaseMoveForm,
    RoundForm,
    VerdictForm,
    to_local,
    to_utc,
)
from pb.models.area import Area
from pb.models.proposal import Proposal, ProposalStatus
from pb.models.round import BallotType, BudgetRound, CountingRule, TieBreak
from pb.models.user import Role
from pb.services import areas as area_service
from pb.services import authz, money
from pb.services import proposals as proposal_service
from pb.services import rounds as round_service
from pb.services.rounds import BOUNDARIES, RoundFrozen
from pb.views.common import actor, require_roles, unit_of_work

bp = Blueprint("manage_rounds", __name__, url_prefix="/manage")


@bp.before_request
def _managers_only() -> None:
    require_roles(Role.MANAGER)


def _managed_area(slug: str) -> Area:
    area = area_service.get_by_slug(db_session(), slug)
    authz.require_area_manager(actor(), area)
    return area


def _managed_round(round_id: int) -> BudgetRound:
    round_ = round_service.get_round(db_session(), round_id)
    authz.require_area_manager(actor(), round_.area)
    return round_


def _managed_proposal(proposal_id: int) -> Proposal:
    proposal = proposal_service.get_proposal(db_session(), proposal_id)
    authz.require_area_manager(actor(), proposal.round.area)
    return proposal


def _run(form: Any, call: Any) -> bool:
    """Call one service as the unit of work; True when it succeeded (see :func:`unit_of_work`)."""
    with unit_of_work(form, flash_error=form is None, page=(RoundFrozen,)) as work:
        call()
    return not work.failed


@bp.get("/areas/<slug>/rounds")
def rounds(slug: str) -> str:
    """The rounds of one area."""
    area = _managed_area(slug)
    return render_template("manage_rounds/rounds.html", area=area,
                           rounds=round_service.rounds_of_area(db_session(), area), now=utcnow())


def _parse_neighbourhoods(text: str) -> list[tuple[str, int | None]]:
    result = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, amount = line.partition(":")
        cents = None
        if sep and amount.strip():
            try:
                cents = money.parse_euros(amount)
            except ValidationFailed as exc:
                raise ValidationFailed(exc.message, field="neighbourhoods") from exc
        result.append((" ".join(name.split()), cents))
    return result


def _round_data(form: RoundForm) -> round_service.RoundData:
    try:
        budget = money.parse_euros(form.budget.data or "")
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field="budget") from exc
    return round_service.RoundData(
        title=form.title.data or "",
        description=form.description.data or "",
        budget_cents=budget,
        **{name: to_utc(getattr(form, name).data) for name in BOUNDARIES},
        ballot_type=BallotType(form.ballot_type.data),
        counting_rule=CountingRule(form.counting_rule.data),
        tie_break=TieBreak(form.tie_break.data),
        min_projects=form.min_projects.data,
        max_projects=form.max_projects.data,
        min_budget_share_pct=form.min_budget_share_pct.data,
        points_total=form.points_total.data,
        points_max_per_project=form.points_max_per_project.data,
        support_threshold=form.support_threshold.data or 0,
        min_age=form.min_age.data,
        max_age=form.max_age.data,
        allow_revote=bool(form.allow_revote.data),
        themes=[" ".join(t.split()) for t in (form.themes.data or "").splitlines() if t.strip()],
        neighbourhoods=_parse_neighbourhoods(form.neighbourhoods.data or ""),
    )


def _fill_form(form: RoundForm, round_: BudgetRound) -> None:
    from pb.templating import euro

    form.budget.data = euro(round_.budget_cents).replace("€", "").strip()
    form.themes.data = "\n".join(t.name for t in round_.themes)
    form.neighbourhoods.data = "\n".join(
        f"{n.name}: {euro(n.budget_cents).replace('€', '').strip()}" if n.budget_cents else n.name
        for n in round_.neighbourhoods
    )
    for name in BOUNDARIES:
        getattr(form, name).data = to_local(getattr(round_, name))
    for name in ("ballot_type", "counting_rule", "tie_break"):
        getattr(form, name).data = str(getattr(round_, name))


@bp.route("/areas/<slug>/rounds/new", methods=["GET", "POST"])
def new_round(slug: str) -> str | Response:
    """Open a new round in an area."""
    area = _managed_area(slug)
    form = RoundForm()
    if form.validate_on_submit():
        created: list[BudgetRound] = []
        if _run(form, lambda: created.append(round_service.create_round(
                db_session(), area, actor=actor(), data=_round_data(form)))):
            flash(_("De ronde is aangemaakt."), "success")
            return redirect(url_for("manage_rounds.rounds", slug=area.slug))
    return render_template("manage_rounds/round_form.html", form=form, area=area, round=None)


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
def edit_round(round_id: int) -> str | tuple[str, int] | Response:
    """Change a round's configuration (frozen parts refused once voting opened)."""
    round_ = _managed_round(round_id)
    form = RoundForm(obj=round_) if request.method == "GET" else RoundForm()
    if request.method == "GET":
        _fill_form(form, round_)
    frozen = round_.is_frozen_at(utcnow())
    if frozen and request.method == "POST":
        # Dates only move through the phase form; keep them as stored whatever was posted.
        for name in BOUNDARIES:
            getattr(form, name).data = to_local(getattr(round_, name))
            getattr(form, name).raw_data = [to_local(getattr(round_, name)).strftime("%Y-%m-%dT%H:%M")]
    status = 200
    if form.validate_on_submit():
        # A frozen-field change answers 409 with this form, which says what can still change
        # (the refusal itself is audited and committed by the unit of work).
        with unit_of_work(form) as work:
            round_service.update_round(db_session(), round_, actor=actor(), data=_round_data(form))
        if not work.failed:
            flash(_("De wijzigingen zijn opgeslagen."), "success")
            return redirect(url_for("manage_rounds.rounds", slug=round_.area.slug))
        if isinstance(work.error, RoundFrozen):
            status = 409
    return render_template("manage_rounds/round_form.html", form=form, area=round_.area, round=round_,
                           frozen=frozen), status


@bp.route("/rounds/<int:round_id>/phase", methods=["GET", "POST"])
def move_phase(round_id: int) -> str | Response:
    """Move a phase boundary earlier or later, with a public reason."""
    round_ = _managed_round(round_id)
    form = PhaseMoveForm()
    if form.validate_on_submit():
        if _run(form, lambda: round_service.move_phase(
                db_session(), round_, actor=actor(), boundary=form.boundary.data or "",
                new_at=to_utc(form.new_at.data), reason=form.reason.data or "")):
            flash(_("De fase is verschoven. De reden staat in de openbare geschiedenis."), "success")
            return redirect(url_for("manage_rounds.rounds", slug=round_.area.slug))
    return _phase_page(round_, form, NextPhaseForm(prefix="next", formdata=None))


def _phase_page(round_: BudgetRound, form: PhaseMoveForm, next_form: NextPhaseForm) -> str:
    return render_template("manage_rounds/phase_form.html", form=form, next_form=next_form, round=round_,
                           now=utcnow(), timeline=round_service.timeline(round_))


@bp.post("/rounds/<int:round_id>/next-phase")
def start_next_phase(round_id: int) -> str | Response:
    """Start the next phase now (the support phase is settled when it ends this way)."""
    round_ = _managed_round(round_id)
    next_form = NextPhaseForm(prefix="next")
    if next_form.validate_on_submit():
        if _run(next_form, lambda: round_service.start_next_phase(
                db_session(), round_, actor=actor(), reason=next_form.reason.data or "")):
            flash(_("De volgende fase is begonnen. De reden staat in de openbare geschiedenis."), "success")
            return redirect(url_for("manage_rounds.rounds", slug=round_.area.slug))
    return _phase_page(round_, PhaseMoveForm(formdata=None), next_form)


@bp.get("/rounds/<int:round_id>/review")
def review(round_id: int) -> str:
    """The review queue of a round, with verdict, cost, merge and hide forms per proposal."""
    round_ = _managed_round(round_id)
    now = utcnow()
    queue = proposal_service.review_queue(db_session(), round_)
    pending_settle = now >= round_.support_close_at and any(p.status == ProposalStatus.SUBMITTED for p in queue)
    merge_targets = [p for p in queue if p.status in (ProposalStatus.SUBMITTED, *proposal_service.REVIEWABLE)]
    forms = {}
    for p in queue:
        merge = MergeForm(prefix=f"m{p.id}")
        merge.target_id.choices = options((t.id, t.title) for t in merge_targets if t.id != p.id)
        forms[p.id] = {
            "verdict": VerdictForm(prefix=f"v{p.id}"), "cost": CostForm(prefix=f"c{p.id}"),
            "merge": merge, "hide": HideForm(prefix=f"h{p.id}"),
        }
    return render_template(
        "manage_rounds/review.html", round=round_, queue=queue, forms=forms, pending_settle=pending_settle,
        frozen=round_.is_frozen_at(now), phase=round_.phase_at(now),
        counts=proposal_service.support_counts(db_session(), [p.id for p in queue]),
        reviewable=proposal_service.REVIEWABLE,
    )


@bp.post("/rounds/<int:round_id>/settle")
def settle(round_id: int) -> Response:
    """Close the support phase now that its date has passed (idempotent)."""
    round_ = _managed_round(round_id)
    changed = proposal_service.settle_support_phase(db_session(), round_, utcnow())
    db_session().commit()
    flash(ngettext("%(num)d plan is verwerkt.", "%(num)d plannen zijn verwerkt.", changed), "success")
    return redirect(url_for("manage_rounds.review", round_id=round_.id))


def _review_post(proposal_id: int, form_cls: type, prefix: str, call: Any) -> Response:
    proposal = _managed_proposal(proposal_id)
    form = form_cls(prefix=f"{prefix}{proposal.id}")
    if prefix == "m":
        form.target_id.choices = []
    if form.validate_on_submit():
        if _run(None, lambda: call(proposal, form)):
            flash(_("Opgeslagen: %(title)s.", title=proposal.title), "success")
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(f"{proposal.title}: {error}", "error")
    return redirect(url_for("manage_rounds.review", round_id=proposal.round_id) + f"#p{proposal.id}")


@bp.post("/proposals/<int:proposal_id>/verdict")
def verdict(proposal_id: int) -> Response:
    """Feasible or not, with a public reason."""
    return _review_post(proposal_id, VerdictForm, "v", lambda p, f: proposal_service.review_proposal(
        db_session(), p, actor=actor(), feasible=f.verdict.data == "feasible", reason=f.reason.data or ""))


def _adjust_cost(proposal: Proposal, form: CostForm) -> None:
    try:
        cents = money.parse_euros(form.cost.data or "")
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field="cost") from exc
    proposal_service.adjust_cost(db_session(), proposal, actor=actor(), cost_cents=cents, reason=form.reason.data or "")


@bp.post("/proposals/<int:proposal_id>/cost")
def cost(proposal_id: int) -> Response:
    """Adjust the cost with a public explanation."""
    return _review_post(proposal_id, CostForm, "c", _adjust_cost)


def _merge(proposal: Proposal, form: MergeForm) -> None:
    target = proposal_service.get_proposal(db_session(), int(form.target_id.data or 0))
    proposal_service.merge_proposals(db_session(), proposal, target, actor=actor(), reason=form.reason.data or "")


@bp.post("/proposals/<int:proposal_id>/merge")
def merge(proposal_id: int) -> Response:
    """Merge a duplicate into another proposal of the same round."""
    return _review_post(proposal_id, MergeForm, "m", _merge)


@bp.post("/proposals/<int:proposal_id>/hide")
def hide(proposal_id: int) -> Response:
    """Hide abusive content, with a public reason."""
    return _review_post(proposal_id, HideForm, "h", lambda p, f: proposal_service.hide_proposal(
        db_session(), p, actor=actor(), reason=f.reason.data or ""))
