"""Forms for assisted participation at the information point (shape checks only)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from pb.forms.rounds import ProposalForm

_REQUIRED = _l("Vul dit veld in.")
_LOGIN_LABEL = _l("E-mailadres of gebruikersnaam van de bewoner")
_LOGIN_HINT = _l("De bewoner moet al bevestigd zijn als bewoner van dit gebied. Zo niet: bevestig de bewoner "
                 "eerst met een identiteitsbewijs.")
_CONSENT_LABEL = _l("De bewoner heeft mij gevraagd dit te doen en geeft toestemming.")


class AssistedProposalForm(ProposalForm):
    """Staff write a proposal for a resident who came by; the resident's consent is ticked."""

    login = StringField(_LOGIN_LABEL, description=_LOGIN_HINT,
                        validators=[DataRequired(_REQUIRED), Length(max=254)])
    consent = BooleanField(_CONSENT_LABEL)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The resident's field comes first on the page, so it comes first in the error summary too.
        self._fields.move_to_end("login", last=False)


class AssistedSupportForm(FlaskForm):
    """Staff record a resident's support for a proposal; the resident's consent is ticked."""

    login = StringField(_LOGIN_LABEL, description=_LOGIN_HINT,
                        validators=[DataRequired(_REQUIRED), Length(max=254)])
    proposal_id = SelectField(_l("Welk plan steunt de bewoner?"), coerce=str, validate_choice=False,
                              validators=[DataRequired(_l("Kies een plan."))])
    consent = BooleanField(_CONSENT_LABEL)
