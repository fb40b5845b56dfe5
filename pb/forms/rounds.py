"""Forms for rounds, phase moves, proposals and reviews (shape checks only)."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from pb.clock import LOCAL_TZ
from pb.forms import options
from pb.labels import BALLOT_TYPE, BOUNDARY, COUNTING_RULE, TIE_BREAK

_REQUIRED = _l("Vul dit veld in.")
_DATE_FORMAT = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


def to_utc(local: dt.datetime) -> dt.datetime:
    """A naive Europe/Amsterdam wall-clock time from a form, as aware UTC."""
    return local.replace(tzinfo=LOCAL_TZ).astimezone(dt.timezone.utc)


def to_local(moment: dt.datetime) -> dt.datetime:
    """An aware moment as naive Europe/Amsterdam wall-clock time for a form."""
    return moment.astimezone(LOCAL_TZ).replace(tzinfo=None, second=0, microsecond=0)


def _optional_int(label: object, hint: object = "") -> IntegerField:
    return IntegerField(label, description=hint, validators=[Optional(), NumberRange(min=0, max=1_000_000)])


def _date(label: object) -> DateTimeLocalField:
    return DateTimeLocalField(label, format=_DATE_FORMAT, validators=[DataRequired(_l("Vul een datum en tijd in."))])


class RoundForm(FlaskForm):
    """Create or edit a budget round (everything the manager configures)."""

    title = StringField(_l("Titel"), validators=[DataRequired(_REQUIRED), Length(max=200)])
    description = TextAreaField(_l("Beschrijving"), validators=[Length(max=10000)])
    budget = StringField(_l("Budget in euro"), description=_l("Bijvoorbeeld 25.000 of 25000,00"),
                         validators=[DataRequired(_REQUIRED), Length(max=30)])
    themes = TextAreaField(_l("Thema's"), description=_l("Eén thema per regel, bijvoorbeeld Spelen of Groen."),
                           validators=[Length(max=4000)])
    neighbourhoods = TextAreaField(
        _l("Buurten met een deelbudget (niet verplicht)"),
        description=_l("Eén buurt per regel: naam, dubbele punt, bedrag. Bijvoorbeeld: Ulft-Noord: 10.000. Zonder bedrag: alleen de naam."),
        validators=[Length(max=4000)],
    )
    proposals_open_at = _date(BOUNDARY["proposals_open_at"])
    proposals_close_at = _date(BOUNDARY["proposals_close_at"])
    support_close_at = _date(BOUNDARY["support_close_at"])
    review_close_at = _date(BOUNDARY["review_close_at"])
    voting_open_at = _date(BOUNDARY["voting_open_at"])
    voting_close_at = _date(BOUNDARY["voting_close_at"])
    ballot_type = SelectField(_l("Manier van stemmen"), choices=options((k.value, v) for k, v in BALLOT_TYPE.items()))
    min_projects = _optional_int(_l("Minimum aantal projecten op een stembiljet"))
    max_projects = _optional_int(_l("Maximum aantal projecten op een stembiljet"),
                                 _l("Verplicht bij vinkjes met een maximum en bij volgorde."))
    min_budget_share_pct = _optional_int(_l("Minimaal deel van het budget dat een stemmer besteedt (procent)"),
                                         _l("Alleen bij kiezen binnen het budget."))
    points_total = _optional_int(_l("Aantal punten per stemmer"), _l("Alleen bij punten verdelen."))
    points_max_per_project = _optional_int(_l("Maximum aantal punten per project"), _l("Alleen bij punten verdelen."))
    counting_rule = SelectField(_l("Telregel"), choices=options((k.value, v) for k, v in COUNTING_RULE.items()))
    tie_break = SelectField(_l("Bij gelijke stand"), choices=options((k.value, v) for k, v in TIE_BREAK.items()))
    support_threshold = IntegerField(_l("Steun nodig om beoordeeld te worden"), default=0,
                                     validators=[Optional(), NumberRange(min=0, max=1_000_000)])
    min_age = _optional_int(_l("Minimumleeftijd om te stemmen"))
    max_age = _optional_int(_l("Maximumleeftijd om te stemmen"))
    allow_revote = BooleanField(
        _l("Bewoners mogen hun stem één keer wijzigen"),
        description=_l("Wie online stemt, kan tot het stemmen sluit één keer een nieuwe stem uitbrengen. "
                       "De nieuwe stem vervangt de oude. Daarna kan de stem niet meer veranderen. "
                       "Een stem op papier kan niet worden gewijzigd."),
    )


class PhaseMoveForm(FlaskForm):
    """Move one phase boundary, with a public reason."""

    boundary = SelectField(_l("Welke fasegrens"), choices=options(BOUNDARY.items()))
    new_at = _date(_l("Nieuwe datum en tijd"))
    reason = TextAreaField(_l("Reden (openbaar)"), validators=[DataRequired(_REQUIRED), Length(max=2000)])


class NextPhaseForm(FlaskForm):
    """Start the next phase now, with a public reason."""

    reason = TextAreaField(_l("Reden (openbaar)"), validators=[DataRequired(_REQUIRED), Length(max=2000)])


class CostLineForm(Form):
    """One cost line (a sub-form without its own CSRF token)."""

    item = StringField(_l("Omschrijving"), validators=[Length(max=200)])
    amount = StringField(_l("Bedrag in euro"), validators=[Length(max=30)])


class ProposalForm(FlaskForm):
    """A resident's proposal."""

    title = StringField(_l("Titel van uw plan"), validators=[DataRequired(_REQUIRED), Length(max=200)])
    summary = TextAreaField(_l("Korte samenvatting"), description=_l("Eén of twee zinnen."),
                            validators=[Length(max=500)])
    description = TextAreaField(_l("Beschrijving"), description=_l("Wat wilt u doen, en waarom is het goed voor de buurt?"),
                                validators=[Length(max=10000)])
    location = StringField(_l("Waar? (straat of plek)"), validators=[Length(max=200)])
    latitude = StringField(_l("Breedtegraad (noord)"), validators=[Length(max=20)])
    longitude = StringField(_l("Lengtegraad (oost)"), validators=[Length(max=20)])
    theme_id = SelectField(_l("Thema"), coerce=str, validate_choice=False)
    neighbourhood_id = SelectField(_l("Buurt"), coerce=str, validate_choice=False)
    agenda_item_id = SelectField(_l("Bij welk punt van de gebiedsagenda past het? (niet verplicht)"), coerce=str,
                                 validate_choice=False)
    cost_lines = FieldList(FormField(CostLineForm), min_entries=5, max_entries=20)
    coinitiators = TextAreaField(
        _l("Mede-indieners (niet verplicht)"),
        description=_l("E-mailadressen van buren die meedoen, één per regel. Zij moeten geverifieerde bewoners zijn."),
        validators=[Length(max=2000)],
    )
    photo = FileField(_l("Foto (niet verplicht)"), description=_l("JPEG of PNG, maximaal 5 MB."))
    photo_alt = StringField(_l("Wat staat er op de foto? (niet verplicht)"),
                            description=_l("Voor wie de foto niet kan zien. Bijvoorbeeld: Een leeg grasveld naast de school."),
                            validators=[Length(max=200)])
    remove_photo = BooleanField(_l("Foto verwijderen"))


class ActionForm(FlaskForm):
    """A button that only needs a CSRF token (submit, withdraw, support)."""


class VerdictForm(FlaskForm):
    """Review verdict with a public reason."""

    verdict = RadioField(_l("Oordeel"), choices=options([("feasible", _l("Haalbaar")), ("infeasible", _l("Niet haalbaar"))]),
                         validators=[DataRequired(_l("Kies een oordeel."))])
    reason = TextAreaField(_l("Reden (openbaar)"), validators=[DataRequired(_REQUIRED), Length(max=4000)])


class CostForm(FlaskForm):
    """Adjust the cost with a public explanation."""

    cost = StringField(_l("Nieuwe kosten in euro"), validators=[DataRequired(_REQUIRED), Length(max=30)])
    reason = TextAreaField(_l("Uitleg (openbaar)"), validators=[DataRequired(_REQUIRED), Length(max=4000)])


class MergeForm(FlaskForm):
    """Merge a duplicate into another proposal."""

    target_id = SelectField(_l("Samenvoegen met"), coerce=int, validate_choice=False)
    reason = TextAreaField(_l("Reden (openbaar)"), validators=[DataRequired(_REQUIRED), Length(max=4000)])


class HideForm(FlaskForm):
    """Hide abusive content."""

    reason = TextAreaField(_l("Reden (openbaar)"), validators=[DataRequired(_REQUIRED), Length(max=4000)])

