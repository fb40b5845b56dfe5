"""Forms for verification, the information point, the register upload and letter codes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, DateField, EmailField, Field, IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError

from pb.services.addresses import parse_house_number

_REQUIRED = _l("Vul dit veld in.")


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _house_number(_form: FlaskForm, field: Field) -> None:
    if parse_house_number(field.data or "") is None:
        raise ValidationError(_l("Vul een huisnummer in, bijvoorbeeld 12 of 12a."))


class VerifyForm(FlaskForm):
    """Postcode, house number (may carry the letter: "12a") and the code from the letter."""

    postcode = StringField(_l("Postcode"), filters=[_strip], description=_l("Bijvoorbeeld 7071 AB."),
                           validators=[DataRequired(_REQUIRED), Length(max=8)])
    huisnummer = StringField(_l("Huisnummer"), filters=[_strip], description=_l("Bijvoorbeeld 12 of 12a."),
                             validators=[DataRequired(_REQUIRED), Length(max=16), _house_number])
    toevoeging = StringField(_l("Huisletter of toevoeging (als u die heeft)"), filters=[_strip],
                             description=_l("Bijvoorbeeld A, 2 of bis."), validators=[Optional(), Length(max=10)])
    code = StringField(_l("Code uit uw brief"), filters=[_strip],
                       description=_l("16 tekens. Streepjes en spaties mag u weglaten."),
                       validators=[DataRequired(_REQUIRED), Length(max=40)])
    birth_date = DateField(_l("Uw geboortedatum"), validators=[Optional()],
                           description=_l("Sommige rondes hebben een leeftijdsgrens. Niet verplicht."))


class SearchAddressForm(FlaskForm):
    """Find an address in the register (GET, no CSRF needed)."""

    class Meta:
        csrf = False

    postcode = StringField(_l("Postcode"), filters=[_strip], validators=[DataRequired(_REQUIRED), Length(max=8)])
    huisnummer = IntegerField(_l("Huisnummer"), validators=[InputRequired(_REQUIRED), NumberRange(min=1, max=99999)])


class InPersonExistingForm(FlaskForm):
    """Verify an existing account found by its e-mail address."""

    email = EmailField(_l("E-mailadres van de bewoner"), filters=[_strip],
                       validators=[DataRequired(_REQUIRED), Email(_l("Vul een geldig e-mailadres in.")), Length(max=254)])
    id_checked = BooleanField(_l("Ik heb een identiteitsbewijs gezien met deze naam en dit adres."))
    birth_date = DateField(_l("Geboortedatum"), validators=[Optional()])


class InPersonNewForm(FlaskForm):
    """Create an account without e-mail for a resident at the information point."""

    name = StringField(_l("Naam van de bewoner"), validators=[DataRequired(_REQUIRED), Length(max=120)])
    id_checked = BooleanField(_l("Ik heb een identiteitsbewijs gezien met deze naam en dit adres."))
    birth_date = DateField(_l("Geboortedatum"), validators=[Optional()])


class RegisterUploadForm(FlaskForm):
    """Upload the address register CSV."""

    file = FileField(_l("Adressenbestand (CSV)"),
                     description=_l("Kolommen: openbare_ruimte;huisnummer;huisletter;huisnummertoevoeging;"
                                    "postcode;woonplaats, en eventueel gebied, aantal_stemgerechtigden en "
                                    "geboortejaar."),
                     validators=[FileRequired(_l("Kies een bestand.")),
                                 FileAllowed(["csv", "txt"], _l("Kies een CSV-bestand."))])


class LetterCodesForm(FlaskForm):
    """Make letter codes for an area; ``confirm`` must be ticked when old codes exist."""

    valid_until = DateField(_l("Geldig tot en met"), validators=[DataRequired(_l("Kies een datum."))])
    confirm = BooleanField(_l("Ik begrijp dat de codes die nog niet gebruikt zijn, niet meer werken."))


class PurgeForm(FlaskForm):
    """Confirm removing an area's register."""


class DeleteAccountForm(FlaskForm):
    """Delete my account: confirm with the password."""

    confirm = BooleanField(_l("Ja, verwijder mijn account."))
    password = PasswordField(_l("Uw wachtwoord"), validators=[DataRequired(_REQUIRED), Length(max=200)])
