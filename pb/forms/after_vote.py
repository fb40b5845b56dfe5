"""Forms for following, message choices and implementation tracking (shape checks only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from pb.forms import options
from pb.models.implementation import ImplementationStatus

NOTIFICATION_LABELS = {
    "status": _l("Een plan dat ik volg krijgt een nieuwe status"),
    "phase": _l("Steunen of stemmen begint in mijn gebied"),
    "reminder": _l("Herinnering als ik nog niet heb gestemd"),
    "results": _l("De uitslag is bekend"),
    "milestone": _l("Nieuwe stap bij een project dat ik volg"),
}


class NotificationForm(FlaskForm):
    """Which messages a resident gets, and in which language."""

    language = RadioField(_l("Taal van de berichten"), choices=options([("nl", "Nederlands"), ("en", "English")]))
    status = BooleanField(NOTIFICATION_LABELS["status"])
    phase = BooleanField(NOTIFICATION_LABELS["phase"])
    reminder = BooleanField(NOTIFICATION_LABELS["reminder"])
    results = BooleanField(NOTIFICATION_LABELS["results"])
    milestone = BooleanField(NOTIFICATION_LABELS["milestone"])


class ImplementationForm(FlaskForm):
    """A project's status, actual cost and the reason for a change."""

    status = RadioField(_l("Status"), choices=options([
        (ImplementationStatus.PLANNED.value, _l("gepland")),
        (ImplementationStatus.IN_PROGRESS.value, _l("in uitvoering")),
        (ImplementationStatus.DONE.value, _l("klaar")),
        (ImplementationStatus.CANCELLED.value, _l("vervallen")),
    ]), validators=[DataRequired(_l("Kies een status."))])
    actual_cost = StringField(_l("Werkelijke kosten in euro (niet verplicht)"), validators=[Length(max=20)],
                              description=_l("Bijvoorbeeld 1.250,00. Laat leeg als het nog niet bekend is."))
    reason = TextAreaField(_l("Toelichting (verplicht bij vervallen, openbaar)"), validators=[Length(max=1000)])


class MilestoneForm(FlaskForm):
    """A milestone: date, text, optional photo."""

    happened_on = DateField(_l("Datum"), validators=[DataRequired(_l("Kies een datum."))])
    text = TextAreaField(_l("Wat is er gebeurd?"), validators=[DataRequired(_l("Vul dit veld in.")),
                                                                 Length(max=2000)])
    photo = FileField(_l("Foto (niet verplicht)"), description=_l("JPEG of PNG, maximaal 5 MB."))
