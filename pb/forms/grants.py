"""Forms for small grants (shape checks only; the rules live in the services)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from pb.forms import options
from pb.forms.admin import MultiCheckboxField
from pb.forms.rounds import CostLineForm

_REQUIRED = _l("Vul dit veld in.")
_AMOUNT_HINT = _l("Bijvoorbeeld 450 of 450,50")


def _amount(label: object, *, required: bool = False, hint: object = _AMOUNT_HINT) -> StringField:
    validators = [DataRequired(_REQUIRED)] if required else [Optional()]
    return StringField(label, description=hint, validators=[*validators, Length(max=30)])


class ApplicationForm(FlaskForm):
    """A resident's (or organisation's) application for a small grant."""

    title = StringField(_l("Titel van uw aanvraag"), validators=[DataRequired(_REQUIRED), Length(max=200)])
    description = TextAreaField(
        _l("Wat wilt u doen, en waarom?"),
        description=_l("Vertel wat u gaat doen en waarom het goed is voor de hele buurt. Deze tekst is openbaar."),
        validators=[DataRequired(_REQUIRED), Length(max=10000)],
    )
    agenda_item_id = SelectField(_l("Bij welk punt van de gebiedsagenda past het? (niet verplicht)"), coerce=str,
                                 validate_choice=False)
    cost_lines = FieldList(FormField(CostLineForm), min_entries=5, max_entries=20)
    own_contribution = _amount(_l("Eigen bijdrage in euro (niet verplicht)"),
                               hint=_l("Geld dat u of de organisatie zelf betaalt."))
    volunteer_hours = IntegerField(_l("Uren vrijwilligerswerk (niet verplicht)"), default=0,
                                   validators=[Optional(), NumberRange(min=0, max=100_000)])
    planned_on = DateField(_l("Wanneer gebeurt het? (niet verplicht)"), validators=[Optional()])
    organisation_name = StringField(
        _l("Naam van de organisatie (niet verplicht)"),
        description=_l("Vraagt u aan namens een vereniging, dorpsraad of buurtonderneming? U bent dan de "
                       "contactpersoon. De naam van de organisatie is openbaar."),
        validators=[Length(max=200)],
    )
    kvk_number = StringField(_l("KvK-nummer (niet verplicht)"), validators=[Optional(), Length(max=8)])
    show_name = BooleanField(_l("Mijn naam mag op de openbare lijst staan"))
    photo = FileField(_l("Foto (niet verplicht)"), description=_l("JPEG of PNG, maximaal 5 MB."))


class AssistedApplicationForm(ApplicationForm):
    """Information-point staff file an application for a resident who came by."""

    resident_login = StringField(
        _l("E-mailadres of gebruikersnaam van de bewoner"),
        description=_l("De bewoner moet al bevestigd zijn als bewoner van dit gebied."),
        validators=[DataRequired(_REQUIRED), Length(max=254)],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The resident's field comes first on the page, so it comes first in the error summary too.
        self._fields.move_to_end("resident_login", last=False)


class AnswerForm(FlaskForm):
    """The applicant answers the manager's question."""

    answer = TextAreaField(_l("Uw antwoord"), validators=[DataRequired(_REQUIRED), Length(max=4000)])


class MoveForm(FlaskForm):
    """Move a too-large application into a round."""

    round_id = SelectField(_l("Ronde"), coerce=str, validate_choice=False)


class PaperBackingForm(FlaskForm):
    """Staff enter a paper list of signatures with its scan."""

    signatures = IntegerField(_l("Aantal handtekeningen op de lijst"),
                              validators=[DataRequired(_REQUIRED), NumberRange(min=1, max=10_000)])
    scan = FileField(_l("Scan of foto van de lijst"), description=_l("PDF, JPEG of PNG, maximaal 5 MB."))


class DecisionForm(FlaskForm):
    """The manager decides: grant (possibly less, with conditions), refuse, or ask a question."""

    outcome = RadioField(_l("Besluit"), choices=options([
        ("grant", _l("Toekennen")), ("refuse", _l("Afwijzen")), ("question", _l("Een vraag stellen aan de aanvrager")),
    ]), validators=[DataRequired(_l("Kies een besluit."))])
    amount = _amount(_l("Bedrag dat u toekent in euro"),
                     hint=_l("Alleen bij toekennen. Leeg: het gevraagde bedrag."))
    conditions = TextAreaField(_l("Voorwaarden (niet verplicht, openbaar)"), validators=[Length(max=4000)])
    text = TextAreaField(_l("Reden of vraag"),
                         description=_l("Bij afwijzen: de reden, die is openbaar. Bij een vraag: uw vraag."),
                         validators=[Length(max=4000)])


class SecondOpinionForm(FlaskForm):
    """The second decision-maker agrees or not."""

    agree = RadioField(_l("Bent u het eens met deze toekenning?"), choices=options([
        ("yes", _l("Ja, toekennen")), ("no", _l("Nee, terug naar de eerste beslisser")),
    ]), validators=[DataRequired(_l("Kies ja of nee."))])
    note = TextAreaField(_l("Toelichting"), description=_l("Verplicht als u het niet eens bent."),
                         validators=[Length(max=4000)])


class ReportForm(FlaskForm):
    """The applicant reports back after the activity."""

    text = TextAreaField(_l("Wat is er gebeurd?"), description=_l("Deze tekst is openbaar."),
                         validators=[DataRequired(_REQUIRED), Length(max=10000)])
    actual = _amount(_l("Wat heeft het echt gekost, in euro?"), required=True)
    photos = MultipleFileField(_l("Foto's (niet verplicht)"),
                               description=_l("Maximaal 5 foto's, JPEG of PNG. Ze zijn openbaar."))
    receipts = MultipleFileField(_l("Bonnetjes of facturen"),
                                 description=_l("PDF, JPEG of PNG. Alleen de gemeente ziet ze."))


class ReportReviewForm(FlaskForm):
    """The manager accepts the report, asks for more, or reclaims money."""

    outcome = RadioField(_l("Beoordeling"), choices=options([
        ("accept", _l("Goedkeuren")), ("more", _l("Meer informatie vragen")), ("reclaim", _l("Geld terugvragen")),
    ]), validators=[DataRequired(_l("Kies een beoordeling."))])
    amount = _amount(_l("Bedrag dat u terugvraagt in euro"), hint=_l("Alleen bij terugvragen."))
    note = TextAreaField(_l("Toelichting"), description=_l("Verplicht bij meer informatie vragen en terugvragen. "
                                                           "Openbaar."), validators=[Length(max=4000)])


class AgendaItemForm(FlaskForm):
    """An item of the area agenda."""

    title = StringField(_l("Titel"), validators=[DataRequired(_REQUIRED), Length(max=200)])
    description = TextAreaField(_l("Uitleg"), validators=[Length(max=10000)])


class GrantSettingsForm(FlaskForm):
    """The admin's settings of an area: this year's pot and the rules for small grants."""

    year = IntegerField(_l("Jaar"), validators=[DataRequired(_REQUIRED), NumberRange(min=2000, max=2100)])
    total = _amount(_l("Totaal budget van het gebied in euro"), required=True)
    rounds = _amount(_l("Deel voor rondes met stemmen in euro"), required=True)
    grants = _amount(_l("Deel voor kleine aanvragen in euro"), required=True)
    min_backing = IntegerField(_l("Minimaal aantal steunbetuigingen"),
                               validators=[InputRequired(_REQUIRED), NumberRange(min=0, max=10_000)])
    ceiling = _amount(_l("Hoogste bedrag voor een kleine aanvraag in euro"), required=True,
                      hint=_l("Is een aanvraag hoger? Dan hoort zij in een ronde."))
    receipts_above = _amount(_l("Bonnetjes verplicht boven dit bedrag in euro"), required=True)
    service_days = IntegerField(_l("Besluit binnen dit aantal werkdagen"),
                                validators=[InputRequired(_REQUIRED), NumberRange(min=1, max=365)])
    staff_ids = MultiCheckboxField(_l("Medewerkers van het informatiepunt voor dit gebied"), coerce=int,
                                    validate_choice=False)


class MandateForm(FlaskForm):
    """The amount up to which one decision-maker grants alone."""

    amount = _amount(_l("Mandaat in euro"), required=True)
