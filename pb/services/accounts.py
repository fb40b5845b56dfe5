"""Accounts: registration, e-mail confirmation, login, password reset, staff-created users."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from pb.db import utcnow
from pb.errors import NotFound, ValidationFailed
from pb.models.area import Area
from pb.models.user import Role, User
from pb.services import audit, mail

CONFIRM_SALT = "pb.accounts.confirm-email"
RESET_SALT = "pb.accounts.reset-password"
MIN_PASSWORD_LENGTH = 10
# Compared against when the account does not exist, so a login takes equally long either way.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def normalise_email(email: str) -> str:
    """Return the canonical form of an e-mail address (trimmed, lower case)."""
    return email.strip().lower()


def hash_password(password: str) -> str:
    """Hash a password with scrypt (werkzeug's default)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            _("Kies een wachtwoord van minstens %(n)d tekens.", n=MIN_PASSWORD_LENGTH),
            field="password",
        )
    return generate_password_hash(password)


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _password_fingerprint(user: User) -> str:
    # Changes whenever the password changes, so a reset link works once.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def find_by_login(session: Session, login: str) -> User | None:
    """Return the account with this e-mail address or username."""
    login = login.strip()
    return session.scalar(
        select(User).where(
            or_(User.email == normalise_email(login), func.lower(User.username) == login.lower())
        )
    )


@dataclass(frozen=True)
class SignUp:
    """What :func:`sign_up` did: the new account, or None when the address was taken."""

    user: User | None


def sign_up(session: Session, *, email: str, name: str, password: str) -> SignUp:
    """Create an unconfirmed resident account and mail a confirmation link.

    When the address already has an account, nothing is created and that account's owner gets a
    notice instead, so the answer never reveals which addresses are registered.

    Raises:
        ValidationFailed: the password is too short.
    """
    email = normalise_email(email)
    password_hash = hash_password(password)
    existing = session.scalar(select(User).where(User.email == email))
    if existing is not None:
        _mail_already_registered(session, existing)
        return SignUp(user=None)
    user = User(email=email, name=name.strip(), password_hash=password_hash, role=Role.RESIDENT)
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError:  # registered concurrently
        return SignUp(user=None)
    send_confirmation(session, user)
    return SignUp(user=user)


def send_confirmation(session: Session, user: User) -> None:
    """Queue the e-mail with the confirmation link."""
    if user.email is None or user.email_confirmed_at is not None:
        return
    token = _serializer(CONFIRM_SALT).dumps({"uid": user.id, "email": user.email})
    link = url_for("auth.confirm", token=token, _external=True)
    hours = current_app.config["CONFIRM_TOKEN_MAX_AGE"] // 3600
    body = _(
        "Hallo %(name)s,\n\n"
        "U heeft een account gemaakt op Buurtbudget. Klik op deze link om uw e-mailadres "
        "te bevestigen:\n\n%(link)s\n\n"
        "De link werkt %(hours)d uur. Heeft u geen account gemaakt? Dan kunt u deze e-mail "
        "negeren.\n\nMet vriendelijke groet,\nBuurtbudget",
        name=user.name,
        link=link,
        hours=hours,
    )
    mail.queue(session, to=user.email, subject=_("Bevestig uw e-mailadres"), body=body)


def _mail_already_registered(session: Session, user: User) -> None:
    assert user.email is not None
    body = _(
        "Hallo %(name)s,\n\n"
        "Iemand probeerde een nieuw account te maken met dit e-mailadres. U heeft al een "
        "account. Bent u uw wachtwoord vergeten? Vraag dan een nieuw wachtwoord aan:\n\n"
        "%(link)s\n\nWas u dit niet? Dan hoeft u niets te doen.\n\nMet vriendelijke groet,\n"
        "Buurtbudget",
        name=user.name,
        link=url_for("auth.forgot_password", _external=True),
    )
    mail.queue(session, to=user.email, subject=_("U heeft al een account"), body=body)


def _mail_no_account(session: Session, address: str) -> None:
    body = _(
        "Hallo,\n\n"
        "Iemand vroeg een nieuw wachtwoord aan voor dit e-mailadres, maar er is geen account met "
        "dit adres. Heeft u een ander e-mailadres gebruikt? Probeer het dan met dat adres. U kunt "
        "ook een account maken:\n\n%(link)s\n\nWas u dit niet? Dan hoeft u niets te doen.\n\n"
        "Met vriendelijke groet,\nBuurtbudget",
        link=url_for("auth.signup", _external=True),
    )
    mail.queue(session, to=address, subject=_("Nieuw wachtwoord kiezen"), body=body)


def confirm_email(session: Session, token: str) -> User:
    """Mark the address in ``token`` as confirmed and return the account.

    Raises:
        ValidationFailed: the token is forged, expired or belongs to an address that changed.
    """
    data = _load_token(CONFIRM_SALT, token, current_app.config["CONFIRM_TOKEN_MAX_AGE"])
    user = session.get(User, data.get("uid"))
    if user is None or user.email != data.get("email"):
        raise ValidationFailed(_("Deze bevestigingslink is niet (meer) geldig."))
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        session.flush()
    return user


def _load_token(salt: str, token: str, max_age: int) -> dict[str, object]:
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise ValidationFailed(_("Deze link is verlopen. Vraag een nieuwe link aan.")) from exc
    except BadSignature as exc:
        raise ValidationFailed(_("Deze link is niet geldig. Controleer of u de hele link gebruikt.")) from exc
    if not isinstance(data, dict):
        raise ValidationFailed(_("Deze link is niet geldig. Controleer of u de hele link gebruikt."))
    return data


def authenticate(session: Session, *, login: str, password: str) -> User:
    """Return the account for these credentials.

    Raises:
        ValidationFailed: unknown login or wrong password (one message for both), or the e-mail
            address is not yet confirmed.
    """
    user = find_by_login(session, login)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        raise ValidationFailed(_("Het e-mailadres of het wachtwoord klopt niet."))
    if not check_password_hash(user.password_hash, password):
        raise ValidationFailed(_("Het e-mailadres of het wachtwoord klopt niet."))
    if not user.is_active:
        raise ValidationFailed(
            _("Bevestig eerst uw e-mailadres. Wij hebben u een e-mail met een link gestuurd."),
            field="unconfirmed",
        )
    return user


def renew_session_token(session: Session, user: User) -> None:
    """Give ``user`` a new server-side session token (on login and logout): every login cookie
    issued before, including a copy an attacker captured, stops working."""
    user.rotate_session_token()
    session.flush()


def request_password_reset(session: Session, email: str) -> None:
    """Mail a reset link when the address has an account, else a notice that it has none.

    Both cases queue one message in the outbox (sent later by the worker), so neither the answer
    nor the work done, and so the reply time, says whether the address is registered.
    """
    address = normalise_email(email)
    user = session.scalar(select(User).where(User.email == address))
    if user is None or user.email is None:
        _mail_no_account(session, address)
        return
    token = _serializer(RESET_SALT).dumps({"uid": user.id, "fp": _password_fingerprint(user)})
    link = url_for("auth.reset_password", token=token, _external=True)
    body = _(
        "Hallo %(name)s,\n\n"
        "U heeft gevraagd om een nieuw wachtwoord. Klik op deze link om een nieuw wachtwoord "
        "te kiezen:\n\n%(link)s\n\n"
        "De link werkt 1 uur en maar één keer. Heeft u dit niet gevraagd? Dan kunt u deze "
        "e-mail negeren; uw wachtwoord blijft hetzelfde.\n\nMet vriendelijke groet,\nBuurtbudget",
        name=user.name,
        link=link,
    )
    mail.queue(session, to=user.email, subject=_("Nieuw wachtwoord kiezen"), body=body)


def check_reset_token(session: Session, token: str) -> User:
    """Return the account a reset token is for.

    Raises:
        ValidationFailed: forged, expired or already used.
    """
    data = _load_token(RESET_SALT, token, current_app.config["RESET_TOKEN_MAX_AGE"])
    user = session.get(User, data.get("uid"))
    if user is None or data.get("fp") != _password_fingerprint(user):
        raise ValidationFailed(_("Deze link is al gebruikt of niet meer geldig. Vraag een nieuwe link aan."))
    return user


def reset_password(session: Session, token: str, password: str) -> User:
    """Set a new password from a reset link; every existing login of the account ends.

    Raises:
        ValidationFailed: bad token or too short password.
    """
    user = check_reset_token(session, token)
    user.password_hash = hash_password(password)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()  # the link proved the address
    user.rotate_session_token()
    session.flush()
    return user


def create_user(
    session: Session,
    *,
    actor: User | None,
    email: str | None,
    name: str,
    password: str,
    role: Role,
    area_slugs: list[str] | None = None,
    username: str | None = None,
) -> User:
    """Create a confirmed account with a role (admin CLI and staff); audited.

    Raises:
        ValidationFailed: taken e-mail/username, unknown area, or too short password.
    """
    email = normalise_email(email) if email else None
    if email and session.scalar(select(User.id).where(User.email == email)):
        raise ValidationFailed(_("Er is al een account met dit e-mailadres."), field="email")
    if username and find_by_login(session, username):
        raise ValidationFailed(_("Deze gebruikersnaam is al in gebruik."), field="username")
    areas: list[Area] = []
    for slug in area_slugs or []:
        area = session.scalar(select(Area).where(Area.slug == slug))
        if area is None:
            raise NotFound(_("Gebied '%(slug)s' bestaat niet.", slug=slug))
        areas.append(area)
    user = User(
        email=email,
        username=username,
        name=name.strip(),
        password_hash=hash_password(password),
        role=role,
        email_confirmed_at=utcnow() if email else None,
    )
    user.managed_areas = areas
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.create",
        obj_type="user",
        obj_id=user.id,
        after={"role": role.value, "areas": [a.slug for a in areas]},
    )
    return user


def change_role(session: Session, user: User, *, actor: User, role: Role) -> None:
    """Change an account's role; its logins end (privilege change). Audited."""
    before = user.role.value
    user.role = role
    user.rotate_session_token()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.role",
        obj_type="user",
        obj_id=user.id,
        before={"role": before},
        after={"role": role.value},
    )


def all_users(session: Session) -> list[User]:
    """Every account, by role and name (the admin's list)."""
    return list(session.scalars(select(User).order_by(User.role, User.name)))
