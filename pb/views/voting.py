"""Voting pages: the ballot, review, receipt; paper ballots at the information point; turnout."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse
from flask_babel import gettext as _
from flask_login import login_required

from pb.db import db_session, utcnow
from pb.errors import AlreadyVoted, DomainError
from pb.forms.voting import BallotForm, FindVoterForm, RejectForm, parse_choices, rank_slots
from pb.models.area import Area
from pb.models.ballot import Channel
from pb.models.proposal import Proposal
from pb.models.round import BudgetRound
from pb.models.user import Role, User
from pb.services import authz
from pb.services import ballots as ballot_service
from pb.services import paper_ballots
from pb.services import rounds as round_service
from pb.services import turnout as turnout_service
from pb.views.common import actor, require_roles, unit_of_work

bp = Blueprint("voting", __name__)

RECEIPT_RE = re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$")


def _round(round_id: int) -> BudgetRound:
    return round_service.get_round(db_session(), round_id)


def _ballot_context(round_: BudgetRound, proposals: list[Proposal], choices: dict[int, int]) -> dict[str, Any]:
    """What the ballot fields partial needs."""
    chosen_cost = sum(p.ballot_cost_cents for p in proposals if p.id in choices)
    return {
        "round": round_,
        "proposals": proposals,
        "choices": choices,
        "rank_of": {rank: pid for pid, rank in choices.items()},
        "rank_slots": rank_slots(round_.ballot_type, round_.max_projects, len(proposals)),
        "chosen_cost": chosen_cost,
        "points_used": sum(choices.values()) if round_.ballot_type == "cumulative" else 0,
    }


def _render_ballot(round_: BudgetRound, choices: dict[int, int], form: BallotForm, status: int = 200) -> Any:
    me = actor()
    proposals = ballot_service.ballot_order(round_, ballot_service.ballot_proposals(db_session(), round_), me.id)
    participation = ballot_service.participation_of(db_session(), round_, me)
    return render_template(
        "voting/ballot.html", form=form, participation=participation,
        can_change=ballot_service.can_change_vote(round_, participation),
        **_ballot_context(round_, proposals, choices),
    ), status


def _choices_from_form(round_: BudgetRound) -> dict[int, int]:
    ids = [p.id for p in ballot_service.ballot_proposals(db_session(), round_)]
    return parse_choices(round_.ballot_type, request.form, ids, max_projects=round_.max_projects)


@bp.get("/vote")
@login_required
def index() -> str:
    """Rounds the logged-in resident can vote in now."""
    me = actor()
    now = utcnow()
    rounds = ballot_service.rounds_open_to(db_session(), me, now=now)
    voted = {r.id for r in rounds if ballot_service.participation_of(db_session(), r, me) is not None}
    refusals = {r.id: ballot_service.age_refusal(db_session(), r, me, now) for r in rounds}
    return render_template("voting/index.html", rounds=rounds, voted=voted, refusals=refusals)


@bp.get("/rounds/<int:round_id>/vote")
@login_required
def ballot(round_id: int) -> Any:
    """The ballot of a round (or why the resident cannot vote now)."""
    round_ = _round(round_id)
    me = actor()
    now = utcnow()
    ballot_service.require_voting_open(round_, now)
    ballot_service.require_eligible(db_session(), round_, me, now)
    participation = ballot_service.participation_of(db_session(), round_, me)
    if participation is not None and not ballot_service.can_change_vote(round_, participation):
        return render_template("voting/already_voted.html", round=round_, participation=participation)
    return _render_ballot(round_, {}, BallotForm())


@bp.post("/rounds/<int:round_id>/vote")
@login_required
def review(round_id: int) -> Any:
    """Check the filled-in ballot and show it for review ("controleer uw keuze")."""
    round_ = _round(round_id)
    participation = ballot_service.participation_of(db_session(), round_, actor())
    if participation is not None and not ballot_service.can_change_vote(round_, participation):
        return render_template("voting/already_voted.html", round=round_, participation=participation), 409
    form = BallotForm()
    choices: dict[int, int] = {}
    try:
        if not form.validate_on_submit():
            return _render_ballot(round_, {}, form, 400)
        choices = _choices_from_form(round_)
        ballot_service.check_ballot(db_session(), round_, voter=actor(), choices=choices)
    except DomainError as exc:
        form.form_errors.append(exc.message)
        return _render_ballot(round_, choices, form, exc.status_code)
    proposals = [p for p in ballot_service.ballot_proposals(db_session(), round_) if p.id in choices]
    if round_.ballot_type == "ranked":
        proposals.sort(key=lambda p: choices[p.id])
    return render_template("voting/review.html", form=form, **_ballot_context(round_, proposals, choices))


@bp.post("/rounds/<int:round_id>/vote/cast")
@login_required
def cast(round_id: int) -> Any:
    """Cast the reviewed ballot, or go back to change it."""
    round_, residency = ballot_service.round_for_voter(db_session(), round_id, actor())
    form = BallotForm()
    choices: dict[int, int] = {}
    try:
        if not form.validate_on_submit():
            return _render_ballot(round_, {}, form, 400)
        projects = ballot_service.ballot_projects(db_session(), round_)
        choices = parse_choices(round_.ballot_type, request.form, [p.id for p in projects],
                                max_projects=round_.max_projects)
        if request.form.get("action") == "edit":
            return _render_ballot(round_, choices, BallotForm())
        result = ballot_service.cast_ballot(db_session(), round_, voter=actor(), choices=choices,
                                            channel=Channel.ONLINE, residency=residency)
    except AlreadyVoted:
        db_session().rollback()
        return render_template("voting/already_voted.html", round=round_, participation=None), 409
    except DomainError as exc:
        db_session().rollback()
        form.form_errors.append(exc.message)
        return _render_ballot(round_, choices, form, exc.status_code)
    db_session().commit()
    # The receipt is shown once, in this answer: it is in no cookie, URL or server-side session,
    # so nothing stored next to the voter's login leads to their ballot. (Sealing a closed round
    # is the cron job's work, never a late voter's request.)
    return render_template("voting/receipt.html", round=round_, code=result.receipt_code, form=BallotForm(),
                           replaced=result.replaced)


@bp.post("/rounds/<int:round_id>/vote/receipt.txt")
@login_required
def receipt_download(round_id: int) -> Response:
    """The receipt just shown, as a text file to keep (the code comes from the page's form)."""
    round_ = _round(round_id)
    form = BallotForm()
    code = request.form.get("code", "")
    if not form.validate_on_submit() or not RECEIPT_RE.match(code):
        abort(400)
    body = render_template("voting/receipt.txt", round=round_, code=code)
    return Response(body, mimetype="text/plain; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="volgcode-ronde-{round_.id}.txt"'})


# --- Information point: paper ballots --------------------------------------------------------

def _paper_round(round_id: int) -> tuple[BudgetRound, Area]:
    round_ = _round(round_id)
    area = round_.area
    authz.require_info_point(actor(), area)
    return round_, area


@bp.get("/infopunt/paper")
@login_required
def paper_rounds() -> str:
    """Rounds in voting where this staff member can enter paper ballots."""
    require_roles(Role.STAFF, Role.MANAGER)
    me = actor()
    rounds = paper_ballots.rounds_for_paper(db_session(), me, now=utcnow())
    managed = {r.id for r in rounds if authz.can_manage_area(me, r.area)}
    return render_template("voting/paper_rounds.html", rounds=rounds, managed=managed)


@bp.route("/infopunt/rounds/<int:round_id>/paper", methods=["GET", "POST"])
@login_required
def paper(round_id: int) -> Any:
    """Find a resident and type in their paper ballot (a second staff member confirms)."""
    round_, area = _paper_round(round_id)
    ballot_service.require_voting_open(round_, utcnow())
    search = FindVoterForm(request.args)
    form = BallotForm()
    voter: User | None = None
    choices: dict[int, int] = {}
    status = 200
    if request.method == "POST":
        voter = db_session().get(User, request.form.get("voter_id", type=int) or 0)
        if voter is None or authz.residency_in(db_session(), voter, area) is None:
            abort(400)
        try:
            if not form.validate_on_submit():
                abort(400)
            choices = _choices_from_form(round_)
            paper_ballots.enter_paper_ballot(db_session(), round_, staff=actor(), voter=voter, choices=choices)
        except DomainError as exc:
            db_session().rollback()
            form.form_errors.append(exc.message)
            status = exc.status_code
        else:
            db_session().commit()
            flash(_("De papieren stem van %(name)s is ingevoerd. Een tweede medewerker moet hem nu "
                    "bevestigen.", name=voter.name), "success")
            return redirect(url_for("voting.paper_pending", round_id=round_.id))
    elif request.args.get("login") and search.validate():
        try:
            voter = paper_ballots.find_voter(db_session(), round_, search.login.data or "")
            if ballot_service.participation_of(db_session(), round_, voter) is not None:
                search.login.errors = [_("Deze bewoner heeft al gestemd in deze ronde.")]
                voter = None
        except DomainError as exc:
            search.login.errors = [exc.message]
    numbered = paper_ballots.numbered_ballot(db_session(), round_)
    return render_template("voting/paper.html", search=search, form=form, voter=voter,
                           numbers={p.id: n for n, p in numbered},
                           **_ballot_context(round_, [p for _n, p in numbered], choices)), status


@bp.get("/infopunt/rounds/<int:round_id>/paper/pending")
@login_required
def paper_pending(round_id: int) -> str:
    """Paper entries waiting for a second staff member."""
    round_, _area = _paper_round(round_id)
    entries = paper_ballots.pending_paper_entries(db_session(), round_)
    numbered = paper_ballots.numbered_ballot(db_session(), round_)
    proposals = {p.id: p for _n, p in numbered}
    return render_template("voting/paper_pending.html", round=round_, entries=entries, proposals=proposals,
                           numbers={p.id: n for n, p in numbered},
                           choices_of={e.id: paper_ballots.entry_choices(db_session(), round_, e) for e in entries},
                           form=BallotForm(), reject_form=RejectForm(), me=actor())


@bp.post("/infopunt/rounds/<int:round_id>/paper/<int:entry_id>/confirm")
@login_required
def paper_confirm(round_id: int, entry_id: int) -> Any:
    """Second staff member: the entry matches the paper ballot; count it."""
    round_, _area = _paper_round(round_id)
    form = BallotForm()
    if not form.validate_on_submit():
        abort(400)
    return _settle_paper_entry(
        round_, entry_id, lambda entry: paper_ballots.confirm_paper_ballot(db_session(), round_, entry, staff=actor()),
        _("De papieren stem is bevestigd en telt mee."))


@bp.post("/infopunt/rounds/<int:round_id>/paper/<int:entry_id>/reject")
@login_required
def paper_reject(round_id: int, entry_id: int) -> Any:
    """The entry does not match the paper ballot: throw it away (it can be entered again)."""
    round_, _area = _paper_round(round_id)
    form = RejectForm()
    if not form.validate_on_submit():
        flash(_("Geef een reden op waarom de invoer niet klopt."), "error")
        return redirect(url_for("voting.paper_pending", round_id=round_.id))
    return _settle_paper_entry(
        round_, entry_id,
        lambda entry: paper_ballots.reject_paper_ballot(db_session(), round_, entry, staff=actor(),
                                                 reason=form.reason.data or ""),
        _("De invoer is verwijderd. Voer de papieren stem opnieuw in."))


def _settle_paper_entry(round_: BudgetRound, entry_id: int, act: Callable[[Any], object],
                        done: str) -> WerkzeugResponse:
    """Confirm or reject a pending paper entry: one commit (or a rollback and the error), a
    message, back to the pending list."""
    with unit_of_work(flash_error=True) as work:
        act(paper_ballots.get_paper_entry(db_session(), round_, entry_id))
    if not work.failed:
        flash(done, "success")
    return redirect(url_for("voting.paper_pending", round_id=round_.id))


# --- Managers: turnout -------------------------------------------------------------------------

@bp.get("/manage/rounds/<int:round_id>/turnout")
@login_required
def turnout(round_id: int) -> str:
    """Turnout of a round (never what was chosen) for the area's managers."""
    round_ = _round(round_id)
    area = round_.area
    authz.require_area_manager(actor(), area)
    report = turnout_service.turnout(db_session(), round_)
    return render_template("voting/turnout.html", round=round_, area=area, report=report,
                           min_group=turnout_service.TURNOUT_MIN_GROUP)
