"""Public round and proposal pages, and the residents' own proposals and support."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import login_required
from werkzeug.wrappers import Response

from pb.db import db_session, utcnow
from pb.errors import DomainError, ValidationFailed
from pb.extensions import limiter
from pb.forms import options
from pb.forms.rounds import BALLOT_TYPE_LABELS, BOUNDARY_LABELS, COUNTING_RULE_LABELS, TIE_BREAK_LABELS, ActionForm, ProposalForm
from pb.models.proposal import Proposal, ProposalStatus
from pb.models.round import BallotType, BudgetRound, Phase
from pb.services import authz, stored_files
from pb.services import proposals as proposal_service
from pb.services import rounds as round_service
from pb.services.rounds import RoundFrozen
from pb.views.common import actor, error_onto_form, optional_actor, stored_file_response

bp = Blueprint("rounds", __name__)
# Writing proposals (with uploads) and supporting: generous for people, a wall for floods.
DEFAULT_WRITE_LIMIT = "200 per hour"


def _write_limit() -> str:
    return str(current_app.config.get("RATELIMIT_PROPOSALS", DEFAULT_WRITE_LIMIT))

PHASE_LABELS = {
    Phase.UPCOMING: _l("Binnenkort"),
    Phase.PROPOSALS: _l("Plannen indienen"),
    Phase.SUPPORT: _l("Steun verzamelen"),
    Phase.REVIEW: _l("Beoordeling door de gemeente"),
    Phase.WAITING: _l("Wachten tot het stemmen begint"),
    Phase.VOTING: _l("Stemmen"),
    Phase.CLOSED: _l("Stemmen gesloten, de uitslag volgt"),
    Phase.RESULTS: _l("Uitslag bekend"),
}
ACTION_LABELS = {
    "round.create": _l("Ronde geopend"),
    "round.update": _l("Instellingen gewijzigd"),
    "round.phase_move": _l("Fase verschoven"),
    "proposal.submit": _l("Plan ingediend"),
    "proposal.withdraw": _l("Plan ingetrokken"),
    "proposal.support_closed": _l("Steunfase afgesloten"),
    "proposal.review": _l("Beoordeling"),
    "proposal.cost": _l("Kosten aangepast"),
    "proposal.merge": _l("Plannen samengevoegd"),
    "proposal.hide": _l("Plan verborgen"),
}


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {
        "phase_label": lambda p: str(PHASE_LABELS.get(Phase(p), p)),
        "status_label": proposal_service.status_label,
        "action_label": lambda a: str(ACTION_LABELS.get(a, a)),
        "boundary_label": lambda b: str(BOUNDARY_LABELS.get(b, b)),
    }


def plain_rules(rnd: BudgetRound) -> list[str]:
    """The round's rules as short sentences in plain Dutch."""
    from pb.templating import euro

    rules = [_("Er is %(budget)s te verdelen.", budget=euro(rnd.budget_cents, whole=True))]
    if rnd.support_threshold:
        rules.append(ngettext("Een plan heeft %(num)d steunbetuiging nodig. Dan bekijkt de gemeente of het kan.",
                              "Een plan heeft %(num)d steunbetuigingen nodig. Dan bekijkt de gemeente of het kan.",
                              rnd.support_threshold))
    else:
        rules.append(_("De gemeente bekijkt elk ingediend plan."))
    rules.append(_("Alleen plannen die de gemeente haalbaar vindt, komen op het stembiljet."))
    rules.append(str(BALLOT_TYPE_LABELS[rnd.ballot_type]) + ".")
    if rnd.ballot_type in (BallotType.K_APPROVAL, BallotType.RANKED) and rnd.max_projects:
        rules.append(_("U kiest maximaal %(n)d projecten.", n=rnd.max_projects))
    if rnd.ballot_type == BallotType.KNAPSACK:
        rules.append(_("De projecten die u kiest, kosten samen niet meer dan het budget."))
        if rnd.min_budget_share_pct:
            rules.append(_("U besteedt minstens %(p)d procent van het budget.", p=rnd.min_budget_share_pct))
    if rnd.ballot_type == BallotType.CUMULATIVE and rnd.points_total:
        rules.append(_("U verdeelt %(n)d punten over de projecten.", n=rnd.points_total))
        if rnd.points_max_per_project:
            rules.append(_("Eén project krijgt van u hoogstens %(n)d punten.", n=rnd.points_max_per_project))
    if rnd.min_projects:
        rules.append(_("U kiest minstens %(n)d projecten.", n=rnd.min_projects))
    if rnd.min_age and rnd.max_age:
        rules.append(_("U mag stemmen als u %(a)d tot en met %(b)d jaar oud bent.", a=rnd.min_age, b=rnd.max_age))
    elif rnd.min_age:
        rules.append(_("U mag stemmen vanaf %(a)d jaar.", a=rnd.min_age))
    elif rnd.max_age:
        rules.append(_("U mag stemmen tot en met %(b)d jaar.", b=rnd.max_age))
    rules.append(_("U kunt uw stem wijzigen tot het stemmen sluit.") if rnd.allow_revote
                 else _("Uw stem is definitief zodra u die heeft uitgebracht."))
    rules.append(_("Telregel: %(rule)s. Bij gelijke stand: %(tie)s.",
                   rule=str(COUNTING_RULE_LABELS[rnd.counting_rule]).lower(),
                   tie=str(TIE_BREAK_LABELS[rnd.tie_break]).lower()))
    rules.append(_("Als het stemmen begint, liggen het budget, de regels en de projecten vast."))
    return rules


def _moment(value: object) -> str:
    import datetime as dt

    from pb.templating import datumtijd

    try:
        return datumtijd(dt.datetime.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def _value(key: str, value: object) -> str:
    from pb.templating import euro

    if value is None:
        return "-"
    if key.endswith("_cents") and isinstance(value, int):
        return euro(value)
    if key.endswith("_at"):
        return _moment(value)
    if key == "status":
        return proposal_service.status_label(str(value))
    return str(value)


def history_rows(entries: list[Any], hidden_ids: set[int] | frozenset[int] = frozenset()) -> list[dict[str, Any]]:
    """Public audit entries as readable lines: when, what, before -> after, why.

    Titles of hidden (moderated) proposals are not repeated in the history.
    """
    rows = []
    for entry in entries:
        before, after = entry.before, entry.after
        title = after.get("title") or before.get("title")
        hidden = entry.object_type == "proposal" and entry.object_id.isdigit() and int(entry.object_id) in hidden_ids
        if hidden:
            title = _("een verborgen plan")
        changes = []
        for key in sorted(set(before) | set(after)):
            if before.get(key) == after.get(key):
                continue
            label = str(BOUNDARY_LABELS.get(key, FIELD_LABELS.get(key, key)))
            if key in before:
                changes.append(f"{label}: {_value(key, before.get(key))} → {_value(key, after.get(key))}")
            else:
                changes.append(f"{label}: {_value(key, after.get(key))}")
        if entry.action == "round.create":
            changes = []
        rows.append({"at": entry.at, "action": entry.action, "title": title, "changes": changes,
                     "reason": entry.reason, "object_type": entry.object_type, "object_id": entry.object_id,
                     "link": entry.object_type == "proposal" and not hidden})
    return rows


FIELD_LABELS = {
    "title": _l("Titel"),
    "status": _l("Status"),
    "min_budget_share_pct": _l("Minimaal deel van het budget (procent)"),
    "points_total": _l("Aantal punten"),
    "points_max_per_project": _l("Maximum punten per project"),
    "min_age": _l("Minimumleeftijd"),
    "max_age": _l("Maximumleeftijd"),
    "allow_revote": _l("Stem wijzigen mogelijk"),
    "cost_cents": _l("Kosten"),
    "budget_cents": _l("Budget"),
    "ballot_type": _l("Manier van stemmen"),
    "counting_rule": _l("Telregel"),
    "tie_break": _l("Bij gelijke stand"),
    "support_threshold": _l("Steun nodig"),
    "supports": _l("Steun"),
    "merged_into": _l("Samengevoegd met"),
    "merged_into_id": _l("Nummer van het andere plan"),
    "supports_moved": _l("Steun overgezet"),
    "description": _l("Beschrijving"),
    "themes": _l("Thema's"),
    "neighbourhoods": _l("Buurten"),
    "min_projects": _l("Minimum aantal projecten"),
    "max_projects": _l("Maximum aantal projecten"),
}


@bp.get("/rounds/<int:round_id>")
def round_page(round_id: int) -> str:
    """A round: phase timeline, budget, rules in plain Dutch, the public change history."""
    session = db_session()
    rnd = round_service.get_round(session, round_id)
    now = utcnow()
    return render_template(
        "rounds/round.html", rnd=rnd, phase=rnd.phase_at(now), timeline=round_service.timeline(rnd, now),
        rules=plain_rules(rnd),
        history=history_rows(round_service.public_history(session, rnd), proposal_service.hidden_ids(session, rnd)),
        ballot=round_service.ballot_proposals(session, rnd),
        drafts=proposal_service.drafts_of(session, rnd, optional_actor()),
        can_propose=rnd.phase_at(now) == Phase.PROPOSALS,
        can_manage=authz.can_manage_area(optional_actor(), rnd.area),
    )


@bp.get("/rounds/<int:round_id>/proposals")
def proposals(round_id: int) -> str:
    """The public proposals of a round with theme/status filters, text search and sorting."""
    session = db_session()
    rnd = round_service.get_round(session, round_id)
    theme_id = request.args.get("theme", type=int)
    status_arg = request.args.get("status", "")
    status = ProposalStatus(status_arg) if status_arg in proposal_service.PUBLIC_STATUSES else None
    sort = request.args.get("sort", "nieuw")
    if sort not in proposal_service.SORT_LABELS:
        sort = "nieuw"
    text = request.args.get("q", "")[:100]
    rows = proposal_service.search_proposals(session, rnd, theme_id=theme_id, status=status, text=text, sort=sort)
    return render_template(
        "rounds/proposals.html", rnd=rnd, proposals=rows, theme_id=theme_id, status=status, sort=sort, q=text,
        counts=proposal_service.support_counts(session, [p.id for p in rows]),
        statuses=proposal_service.PUBLIC_STATUSES, sorts=proposal_service.SORT_LABELS,
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
        "rounds/proposal.html", p=p, rnd=p.round, phase=phase, form=ActionForm(),
        support_count=round_service.support_count(session, p),
        supported=proposal_service.supports(session, p, user),
        is_resident=authz.residency_in(session, user, p.round.area) is not None,
        support_open=phase in (Phase.PROPOSALS, Phase.SUPPORT) and p.status == ProposalStatus.SUBMITTED,
        is_author=proposal_service.is_author(user, p),
        editable=phase == Phase.PROPOSALS and p.status in (ProposalStatus.DRAFT, ProposalStatus.SUBMITTED),
        withdrawable=not p.round.is_frozen_at(now) and p.status in proposal_service.WITHDRAWABLE,
        history=history_rows(proposal_service.status_history(session, p)),
        merged_into=session.get(Proposal, p.merged_into_id) if p.merged_into_id else None,
    )


@bp.get("/proposals/<int:proposal_id>/photo")
def photo(proposal_id: int) -> Response:
    """The proposal's photo (re-encoded on upload, served with its own type)."""
    p = _visible_proposal(proposal_id)
    if not p.photo_filename:
        abort(404)
    stored = stored_files.find(db_session(), p.photo_filename, kind=proposal_service.PHOTO_KIND)
    if stored is None:
        abort(404)
    return stored_file_response(stored, max_age=300)


# --- residents -------------------------------------------------------------------------------------


def _proposal_form(rnd: BudgetRound, p: Proposal | None) -> ProposalForm:
    if request.method == "GET" and p is not None:
        form = ProposalForm(obj=p)
        form.theme_id.data = str(p.theme_id or "")
        form.neighbourhood_id.data = str(p.neighbourhood_id or "")
        form.coinitiators.data = "\n".join(u.email or "" for u in p.coinitiators)
        for i, line in enumerate(p.cost_lines):
            from pb.templating import euro

            if i >= len(form.cost_lines.entries):
                form.cost_lines.append_entry()
            form.cost_lines.entries[i].item.data = line.description
            form.cost_lines.entries[i].amount.data = euro(line.amount_cents).replace("€", "").strip()
    else:
        form = ProposalForm()
    form.theme_id.choices = options([("", _("Geen thema"))] + [(str(t.id), t.name) for t in rnd.themes])
    form.neighbourhood_id.choices = options([("", _("Geen buurt"))] + [(str(n.id), n.name) for n in rnd.neighbourhoods])
    return form


def _optional_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _proposal_data(form: ProposalForm) -> proposal_service.ProposalData:
    lines = []
    for entry in form.cost_lines.entries:
        description = (entry.item.data or "").strip()
        amount = (entry.amount.data or "").strip()
        if not description and not amount:
            continue
        if not amount:
            raise ValidationFailed(_("Vul bij elke kostenregel een bedrag in."), field="cost_lines")
        try:
            cents = proposal_service.parse_euros(amount)
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, field="cost_lines") from exc
        lines.append((description, cents))
    return proposal_service.ProposalData(
        title=form.title.data or "", summary=form.summary.data or "", description=form.description.data or "",
        location=form.location.data or "", theme_id=_optional_id(form.theme_id.data),
        neighbourhood_id=_optional_id(form.neighbourhood_id.data), cost_lines=lines,
        coinitiator_emails=[e for e in (form.coinitiators.data or "").split() if e.strip()],
    )


def _uploaded_photo(form: ProposalForm) -> str | None:
    upload = form.photo.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    return proposal_service.store_photo(db_session(), upload.stream)


@bp.route("/rounds/<int:round_id>/proposals/new", methods=["GET", "POST"])
@login_required
@limiter.limit(_write_limit, methods=["POST"])
def new_proposal(round_id: int) -> str | Response:
    """A verified resident starts a proposal (saved as a draft)."""
    session = db_session()
    rnd = round_service.get_round(session, round_id)
    authz.require_resident(session, actor(), rnd.area)
    form = _proposal_form(rnd, None)
    if form.validate_on_submit():
        try:
            data = _proposal_data(form)
            photo_name = _uploaded_photo(form)
            created = proposal_service.create_proposal(session, rnd, actor=actor(), data=data, photo=photo_name)
        except DomainError as exc:
            session.rollback()  # also removes a photo stored in this request
            error_onto_form(form, exc)
        else:
            session.commit()
            flash(_("Uw plan is bewaard als concept. Controleer het en dien het in."), "success")
            return redirect(url_for("rounds.proposal", proposal_id=created.id))
    return render_template("rounds/proposal_form.html", form=form, rnd=rnd, p=None)


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
@limiter.limit(_write_limit, methods=["POST"])
def edit_proposal(proposal_id: int) -> str | Response:
    """The author edits their proposal while the proposal phase is open."""
    session = db_session()
    p = _visible_proposal(proposal_id)
    if not proposal_service.is_author(actor(), p):
        abort(403)
    form = _proposal_form(p.round, p)
    if form.validate_on_submit():
        try:
            data = _proposal_data(form)
            photo_name = _uploaded_photo(form)
            proposal_service.update_proposal(session, p, actor=actor(), data=data, photo=photo_name,
                                             remove_photo=bool(form.remove_photo.data))
        except DomainError as exc:
            session.rollback()  # also removes a photo stored in this request
            error_onto_form(form, exc)
        else:
            session.commit()
            flash(_("De wijzigingen zijn opgeslagen."), "success")
            return redirect(url_for("rounds.proposal", proposal_id=p.id))
    return render_template("rounds/proposal_form.html", form=form, rnd=p.round, p=p)


def _action(proposal_id: int, call: Any, done: str) -> Response:
    session = db_session()
    p = _visible_proposal(proposal_id)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            call(session, p)
        except RoundFrozen:
            session.commit()  # keep the audit entry of the refused attempt
            raise
        except DomainError as exc:
            session.rollback()
            flash(exc.message, "error")
        else:
            session.commit()
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
