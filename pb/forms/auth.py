"""Account forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from pb.services.accounts import MIN_PASSWORD_LENGTH

_REQUIRED = _l("Vul dit veld in.")


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class NewPasswordForm(FlaskForm):
    """Choose a password, typed twice (also the base of the registration form)."""

    password = PasswordField(
        _l("Wachtwoord"),
        description=_l("Minstens %(n)d tekens. Een zin van een paar woorden is makkelijk te onthouden.", n=MIN_PASSWORD_LENGTH),
        validators=[
            DataRequired(_REQUIRED),
            Length(min=MIN_PASSWORD_LENGTH, max=200, message=_l("Kies een wachtwoord van minstens %(n)d tekens.", n=MIN_PASSWORD_LENGTH)),
        ],
    )
    password_confirm = PasswordField(
        _l("Herhaal het wachtwoord"),
        validators=[DataRequired(_REQUIRED), EqualTo("password", _l("De wachtwoorden zijn niet hetzelfde."))],
    )


class SignUpForm(NewPasswordForm):
    """Create an account."""

    name = StringField(_l("Uw naam"), validators=[DataRequired(_REQUIRED), Length(max=120)])
    email = EmailField(
        _l("E-mailadres"),
        filters=[_strip],
        validators=[DataRequired(_REQUIRED), Email(_l("Vul een geldig e-mailadres in.")), Length(max=254)],
    )


class LoginForm(FlaskForm):
    """Log in with e-mail address (or username) and password."""

    login = StringField(_l("E-mailadres of gebruikersnaam"), filters=[_strip], validators=[DataRequired(_REQUIRED), Length(max=254)])
    password = PasswordField(_l("Wachtwoord"), validators=[DataRequired(_REQUIRED), Length(max=200)])
    next = HiddenField()


class EmailForm(FlaskForm):
    """Ask for an e-mail address (password reset, new confirmation link)."""

    email = EmailField(
        _l("E-mailadres"),
        filters=[_strip],
        validators=[DataRequired(_REQUIRED), Email(_l("Vul een geldig e-mailadres in.")), Length(max=254)],
    )


class LogoutForm(FlaskForm):
    """Log out (a POST with CSRF token, so no page can log a visitor out)."""
