"""Printouts of a round for people who take part on paper: a blank ballot numbered like the staff's
paper-entry form, and a booklet of the projects on the ballot. Clean A4 print from HTML."""

from __future__ import annotations

from flask import Blueprint, render_template

from pb.db import db_session, utcnow
from pb.forms.voting import rank_slots
from pb.services import paper_ballots
from pb.services import rounds as round_service

bp = Blueprint("printouts", __name__)


@bp.get("/rounds/<int:round_id>/print/ballot")
def ballot(round_id: int) -> str:
    """A blank paper ballot: the round's rules and every project with its number."""
    session = db_session()
    round_ = round_service.get_round(session, round_id)
    numbered = paper_ballots.numbered_ballot(session, round_)
    return render_template("printouts/ballot.html", round=round_, numbered=numbered,
                           proposals=[p for _n, p in numbered], rank_slots=rank_slots(round_.ballot_type, round_.max_projects, len(numbered)),
                           final=round_.is_frozen_at(utcnow()))


@bp.get("/rounds/<int:round_id>/print/booklet")
def booklet(round_id: int) -> str:
    """The project booklet: every project on the ballot with its number, cost, photo and summary."""
    session = db_session()
    round_ = round_service.get_round(session, round_id)
    numbered = paper_ballots.numbered_ballot(session, round_)
    return render_template("printouts/booklet.html", round=round_, numbered=numbered,
                           final=round_.is_frozen_at(utcnow()))
