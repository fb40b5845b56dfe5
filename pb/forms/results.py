"""Forms of the results pages: publish, correct, check a tracking code."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length


class PublishForm(FlaskForm):
    """Publish the counted result (one confirmation)."""

    confirm = BooleanField(_l("Ik heb de uitslag gecontroleerd. Publiceren kan niet ongedaan worden gemaakt."),
                           validators=[InputRequired(_l("Vink aan dat u de uitslag heeft gecontroleerd."))])
    submit = SubmitField(_l("Uitslag publiceren"))


class CorrectionForm(FlaskForm):
    """Publish a corrected version, with the reason residents will see."""

    reason = TextAreaField(_l("Waarom wordt de uitslag gecorrigeerd?"),
                           validators=[DataRequired(_l("Vul de reden in.")), Length(min=10, max=1000)])
    confirm = BooleanField(_l("Ik begrijp dat de correctie als nieuwe versie openbaar wordt, met deze reden."),
                           validators=[InputRequired(_l("Vink aan dat u dit begrijpt."))])
    submit = SubmitField(_l("Correctie publiceren"))


class ReceiptForm(FlaskForm):
    """Check whether a tracking code is in the count."""

    code = StringField(_l("Uw volgcode"), validators=[DataRequired(_l("Vul uw volgcode in.")), Length(max=40)])
    submit = SubmitField(_l("Controleren"))


class PreviewForm(FlaskForm):
    """Ask the worker for a private preview count (a button only)."""

    submit = SubmitField(_l("Tel nu een voorbeeld"))
