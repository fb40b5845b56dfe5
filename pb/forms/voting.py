"""Voting forms: the ballot's shape (the service checks the rules), paper-ballot search, rejection."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from pb.errors import ValidationFailed
from pb.models.round import BallotType


class BallotForm(FlaskForm):
    """The ballot: only the CSRF token is a WTForms field; choices come from :func:`parse_choices`
    because the fields depend on the round's projects."""


class FindVoterForm(FlaskForm):
    """Find a resident at the information point (a GET search, so no CSRF token)."""

    class Meta:
        csrf = False

    login = StringField(_l("E-mailadres of gebruikersnaam van de bewoner"),
                        validators=[DataRequired(_l("Vul dit veld in.")), Length(max=254)])


class RejectForm(FlaskForm):
    """Reject a pending paper entry that does not match the paper ballot."""

    reason = TextAreaField(_l("Waarom klopt de invoer niet?"),
                           validators=[DataRequired(_l("Vul dit veld in.")), Length(max=500)])


def rank_slots(ballot_type: BallotType, max_projects: int | None, n_projects: int) -> int:
    """How many rank selects a ranked ballot shows."""
    if ballot_type != BallotType.RANKED:
        return 0
    return min(max_projects, n_projects) if max_projects else n_projects


def _int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValidationFailed(_("Uw stem is niet goed ingevuld. Vul alleen hele getallen in.")) from None


def parse_choices(ballot_type: BallotType, formdata: MultiDict[str, str], proposal_ids: Sequence[int],
                  *, max_projects: int | None = None) -> dict[int, int]:
    """Read the choices from a submitted ballot: proposal id -> 1, points or rank.

    Shape only: integers, no project twice. Whether the choice is allowed is the service's job.

    Raises:
        ValidationFailed: not numbers, or one project chosen twice.
    """
    twice = _("U heeft hetzelfde project twee keer gekozen.")
    choices: dict[int, int] = {}
    if ballot_type == BallotType.CUMULATIVE:
        for pid in proposal_ids:
            raw = formdata.get(f"points-{pid}", "").strip()
            if raw:
                value = _int(raw)
                if value != 0:
                    choices[pid] = value
        return choices
    if ballot_type == BallotType.RANKED:
        for rank in range(1, rank_slots(ballot_type, max_projects, len(proposal_ids)) + 1):
            raw = formdata.get(f"rank-{rank}", "").strip()
            if raw:
                pid = _int(raw)
                if pid in choices:
                    raise ValidationFailed(twice)
                choices[pid] = rank
        return choices
    for raw in formdata.getlist("project"):
        pid = _int(raw)
        if pid in choices:
            raise ValidationFailed(twice)
        choices[pid] = 1
    return choices
