"""The admin's forms for the municipality's face: settings, logo, statements (shape only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

_REQUIRED = _l("Vul dit veld in.")


class FaceForm(FlaskForm):
    """Name, colours and the information point's contact details."""

    name = StringField(_l("Naam van de gemeente"), validators=[DataRequired(_REQUIRED), Length(max=120)])
    colour_primary = StringField(
        _l("Hoofdkleur (niet verplicht)"),
        description=_l("Voor de balk bovenaan, knoppen en links. Schrijf de kleur als #00576b. "
                       "Een te lichte kleur wordt geweigerd: links moeten goed leesbaar blijven (contrast minstens 4,5:1)."),
        validators=[Optional(), Length(max=7)],
    )
    colour_on_primary = StringField(
        _l("Tekstkleur op de hoofdkleur (niet verplicht)"),
        description=_l("Meestal wit: #ffffff."),
        validators=[Optional(), Length(max=7)],
    )
    phone = StringField(_l("Telefoonnummer van het informatiepunt"), validators=[Length(max=40)])
    email = StringField(_l("E-mailadres van het informatiepunt"), validators=[Length(max=254)])
    address = TextAreaField(_l("Bezoekadres van het informatiepunt"),
                            description=_l("Straat en huisnummer, postcode en plaats. Eén per regel."),
                            validators=[Length(max=500)])
    opening_hours = TextAreaField(_l("Openingstijden"),
                                  description=_l("Bijvoorbeeld: maandag tot en met vrijdag 9.00 tot 17.00 uur. Eén per regel."),
                                  validators=[Length(max=1000)])


class LogoForm(FlaskForm):
    """Upload the municipality's logo."""

    logo = FileField(_l("Nieuw logo"), description=_l("PNG of JPEG, maximaal 2 MB. Liefst met een witte of doorzichtige achtergrond."))


class StatementForm(FlaskForm):
    """The text of the accessibility or the privacy statement."""

    text = TextAreaField(
        _l("Tekst"),
        description=_l("Een lege regel begint een nieuwe alinea. Begin een regel met ## voor een kopje en met - voor een opsomming."),
        validators=[DataRequired(_REQUIRED), Length(max=20000)],
    )


class ButtonForm(FlaskForm):
    """A button that only needs the CSRF token."""
