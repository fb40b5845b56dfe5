"""Becoming a verified resident: online with a letter code, or in person at an information point.

Also the age check for rounds, and the privacy side: what is stored about a resident and
deleting an account.

Throttling is kept in the database, so a fresh cookie or a new session does not reset it: an IP
address gets at most ``VERIFY_IP_MAX_FAILURES`` failures per 15 minutes
(``verification_failures``); an account, and separately a typed address, are locked after 5
attempts without success, for 5, then 15, then 60 minutes (``verification_throttles``, counted
with one conditional UPDATE, so 40 simultaneous attempts still get exactly 5 checks).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import case, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from pb.clock import local_today
from pb.db import rowcount, utcnow
from pb.errors import InvalidState, PermissionDenied, RefusalRecorded, ValidationFailed
from pb.models.register import LetterCode, RegisterEntry, VerificationFailure, VerificationThrottle
from pb.models.residency import Residency, VerificationMethod
from pb.models.round import BudgetRound
from pb.models.user import Role, User
from pb.services import accounts, address_keys, audit, authz, letter_codes
from pb.services.addresses import normalise_full_postcode, normalise_toevoeging

log = logging.getLogger(__name__)

WINDOW = dt.timedelta(minutes=15)
ACCOUNT_FAILURES_PER_LOCK = 5
ACCOUNT_LOCK_MINUTES = (5, 15, 60)
ACCOUNT_MEMORY = dt.timedelta(hours=24)


class VerificationRefused(RefusalRecorded, ValidationFailed):
    """The code did not verify; the failure is recorded (and committed) so it counts."""


class VerificationThrottled(ValidationFailed):
    """Too many failures from this account or IP address; the code was not even checked."""


def _failure_message() -> str:
    # One answer for a wrong code, a used or expired code, an unknown address and an address
    # in another area (threat #6: no enumeration).
    return _("Deze gegevens kloppen niet. Controleer de postcode, het huisnummer en de code in uw brief.")


# --- throttling -------------------------------------------------------------------------------


def _ip_limit() -> int:
    return int(current_app.config.get("VERIFY_IP_MAX_FAILURES", 10))


def _throttle_key_of_user(user: User) -> str:
    return f"user:{user.id}"


def _throttle_key_of_address(address: AddressInput) -> str:
    # Keyed on the typed address whether or not it is in the register: the lock then says
    # nothing about which addresses exist (threat 6).
    postcode = normalise_full_postcode(address.postcode) or address.postcode.strip().upper()[:8]
    return "address:" + address_keys.address_key(postcode, address.huisnummer, address.suffix)


def account_locked_until(session: Session, user: User, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the account's verification lock ends, or None when it is not locked."""
    now = now or utcnow()
    row = session.get(VerificationThrottle, _throttle_key_of_user(user), populate_existing=True)
    if row is None or row.attempts < ACCOUNT_FAILURES_PER_LOCK or row.locked_until is None:
        return None
    return row.locked_until if row.locked_until > now else None


def _reserve_attempt(session: Session, key: str, now: dt.datetime) -> bool:
    """Count one attempt for ``key`` unless it is at the limit; False when locked.

    One conditional UPDATE decides (PostgreSQL re-checks its WHERE after a concurrent update
    commits; SQLite serialises writers), so concurrent attempts can never pass the limit. The
    attempt that reaches the limit starts the lock at once: 5, then 15, then 60 minutes. The
    reservation is part of the caller's transaction: a success resets it, a rollback undoes it.
    """
    session.execute(sqlite_insert(VerificationThrottle).values(key=key, attempts=0, level=0)
                    .on_conflict_do_nothing(index_elements=["key"])
                    if session.get_bind().dialect.name == "sqlite" else
                    pg_insert(VerificationThrottle).values(key=key, attempts=0, level=0)
                    .on_conflict_do_nothing(index_elements=["key"]))
    t = VerificationThrottle
    lock_over = (t.locked_until.is_not(None)) & (t.locked_until <= now)
    forgotten = (t.locked_until.is_(None)) & (t.last_attempt_at.is_not(None)) & (t.last_attempt_at <= now - ACCOUNT_MEMORY)
    fresh = lock_over | forgotten
    reserved = rowcount(session.execute(
        update(t).where(t.key == key, (t.attempts < ACCOUNT_FAILURES_PER_LOCK) | fresh)
        .values(attempts=case((fresh, 1), else_=t.attempts + 1),
                level=case((forgotten | ((t.locked_until.is_not(None)) & (t.locked_until <= now - ACCOUNT_MEMORY)), 0),
                           else_=t.level),
                locked_until=case((fresh, None), else_=t.locked_until),
                last_attempt_at=now)
        .execution_options(synchronize_session=False)
    )) == 1
    if not reserved:
        return False
    attempts, level = session.execute(select(t.attempts, t.level).where(t.key == key)).one()
    if attempts >= ACCOUNT_FAILURES_PER_LOCK:
        minutes = ACCOUNT_LOCK_MINUTES[min(level, len(ACCOUNT_LOCK_MINUTES) - 1)]
        session.execute(update(t).where(t.key == key)
                        .values(locked_until=now + dt.timedelta(minutes=minutes), level=level + 1)
                        .execution_options(synchronize_session=False))
    return True


def _reset_attempts(session: Session, keys: list[str]) -> None:
    session.execute(update(VerificationThrottle).where(VerificationThrottle.key.in_(keys))
                    .values(attempts=0, level=0, locked_until=None)
                    .execution_options(synchronize_session=False))


def ip_failures(session: Session, ip: str, now: dt.datetime | None = None) -> int:
    """Failures from ``ip`` in the last 15 minutes."""
    now = now or utcnow()
    return session.scalar(
        select(func.count(VerificationFailure.id))
        .where(VerificationFailure.ip == ip, VerificationFailure.at > now - WINDOW)
    ) or 0


def _check_throttle(session: Session, user: User, address: AddressInput, ip: str) -> None:
    if ip_failures(session, ip) >= _ip_limit():
        raise VerificationThrottled(_("Er zijn te veel foute pogingen gedaan vanaf deze internetverbinding. "
                                      "Probeer het over een kwartier opnieuw."))
    now = utcnow()
    for key in (_throttle_key_of_user(user), _throttle_key_of_address(address)):  # always this order
        if not _reserve_attempt(session, key, now):
            locked = session.get(VerificationThrottle, key, populate_existing=True)
            until = locked.locked_until if locked is not None and locked.locked_until else now
            minutes = max(1, int((until - now).total_seconds() // 60) + 1)
            raise VerificationThrottled(_("U heeft te vaak een foute code ingevuld. Probeer het over "
                                          "%(n)d minuten opnieuw, of ga naar het informatiepunt.", n=minutes))


def _record_failure(session: Session, user: User, ip: str) -> None:
    # Failures older than the account memory count for nothing: forget them (and their IPs).
    session.execute(delete(VerificationFailure).where(VerificationFailure.at < utcnow() - ACCOUNT_MEMORY))
    session.add(VerificationFailure(user_id=user.id, ip=ip, at=utcnow()))
    session.flush()
    threshold = int(current_app.config.get("VERIFY_ALARM_THRESHOLD", 100))
    recent = session.scalar(
        select(func.count(VerificationFailure.id)).where(VerificationFailure.at > utcnow() - WINDOW)
    ) or 0
    if recent >= threshold and recent % threshold == 0:
        # Never the code or the address: only counts.
        log.warning("verification failures alarm: %d failed verifications in the last 15 minutes", recent)


# --- verification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AddressInput:
    """The address as a resident typed it.

    Huisletter and toevoeging are compared together (``A-2``, ``a2`` and letter ``A`` with
    toevoeging ``2`` are the same), so it does not matter in which field a resident types them.
    """

    postcode: str
    huisnummer: int
    toevoeging: str = ""
    huisletter: str = ""

    @property
    def suffix(self) -> str:
        """Huisletter and toevoeging together, upper case, without separators."""
        return normalise_toevoeging(self.huisletter + self.toevoeging)


def _check_birth_date(birth_date: dt.date | None) -> None:
    if birth_date is not None and not dt.date(1900, 1, 1) <= birth_date <= local_today():
        raise ValidationFailed(_("Vul een geboortedatum in het verleden in."), field="birth_date")


def _already_resident(session: Session, user: User, area_id: int) -> bool:
    return session.scalar(
        select(Residency.id).where(Residency.user_id == user.id, Residency.area_id == area_id)
    ) is not None


def _take_place(session: Session, entry_id: int) -> bool:
    """Count one more verified resident on the address unless it is full (safe under concurrency)."""
    result = rowcount(session.execute(
        update(RegisterEntry)
        .where(RegisterEntry.id == entry_id, RegisterEntry.verified_count < RegisterEntry.eligible_count)
        .values(verified_count=RegisterEntry.verified_count + 1)
        .execution_options(synchronize_session=False)
    ))
    return result == 1


def _add_residency(
    session: Session, user: User, entry: RegisterEntry, *, method: VerificationMethod,
    verified_by: User | None, birth_date: dt.date | None,
) -> Residency:
    residency = Residency(user_id=user.id, area_id=entry.area_id, method=method, verified_at=utcnow(),
                          verified_by_id=verified_by.id if verified_by else None,
                          birth_date=birth_date, birth_year=entry.birth_year, register_entry_id=entry.id,
                          address_key=address_keys.key_of_entry(entry))
    session.add(residency)
    session.flush()
    return residency


def verify_with_code(
    session: Session, user: User, *, address: AddressInput, code: str, ip: str,
    birth_date: dt.date | None = None, today: dt.date | None = None,
) -> Residency:
    """Make ``user`` a verified resident with the code from their letter.

    The code is looked up by its HMAC; it must belong to exactly the typed address, be unused and
    not expired, and the address must have room for one more verified resident. Code use and the
    address count are guarded updates, so two accounts racing with one code get one residency.

    Args:
        session: the session; the failure recorded before :class:`VerificationRefused` is committed too.
        user: the logged-in account.
        address: postcode, house number, addition as typed.
        code: the code as typed (spaces and dashes allowed).
        ip: the client's IP address, for the throttle.
        birth_date: declared birth date (the register's birth year wins for age checks).
        today: for tests.

    Raises:
        VerificationThrottled: too many failures from this account or IP (nothing recorded).
        VerificationRefused: anything did not match (one message for every reason); recorded.
        InvalidState: the account is already a resident of the code's area.
    """
    _check_birth_date(birth_date)
    _check_throttle(session, user, address, ip)
    normal = letter_codes.normalise_code(code)
    digest = letter_codes.code_hmac(normal)
    row = session.execute(
        select(LetterCode, RegisterEntry).join(RegisterEntry).where(LetterCode.code_hmac == digest)
    ).first()
    today = today or local_today()
    postcode = normalise_full_postcode(address.postcode)
    matches = (
        row is not None
        and letter_codes.looks_like_code(normal)
        and row[1].postcode == postcode
        and row[1].huisnummer == address.huisnummer
        and row[1].suffix == address.suffix
        and row[0].used_at is None
        and row[0].valid_until >= today
    )
    if row is not None and matches and _already_resident(session, user, row[1].area_id):
        raise InvalidState(_("U bent al bevestigd als bewoner van %(area)s.", area=row[1].area.name))
    if row is None or not matches:
        _record_failure(session, user, ip)
        raise VerificationRefused(_failure_message())
    letter_code, entry = row
    try:
        with session.begin_nested():
            used = rowcount(session.execute(
                update(LetterCode).where(LetterCode.id == letter_code.id, LetterCode.used_at.is_(None))
                .values(used_at=utcnow()).execution_options(synchronize_session=False)
            )) == 1
            if not used or not _take_place(session, entry.id):
                raise _NoPlace()
            residency = _add_residency(session, user, entry, method=VerificationMethod.LETTER_CODE,
                                       verified_by=None, birth_date=birth_date)
    except (_NoPlace, IntegrityError):
        _record_failure(session, user, ip)
        raise VerificationRefused(_failure_message()) from None
    session.execute(delete(VerificationFailure).where(VerificationFailure.user_id == user.id))
    _reset_attempts(session, [_throttle_key_of_user(user), _throttle_key_of_address(address)])
    session.refresh(entry)
    return residency


class _NoPlace(Exception):
    """The code was taken concurrently or the address is full."""


def verify_in_person(
    session: Session, user: User, entry: RegisterEntry, *, actor: User, id_checked: bool,
    birth_date: dt.date | None = None,
) -> Residency:
    """Staff at an information point saw an ID and verify ``user`` on ``entry``. Audited.

    Raises:
        PermissionDenied: ``actor`` does not work the information point of the entry's area.
        ValidationFailed: the ID was not checked.
        InvalidState: already a resident of this area, or the address is full.
    """
    authz.require_info_point(actor, entry.area)
    if not id_checked:
        raise ValidationFailed(_("Bevestig dat u een identiteitsbewijs heeft gecontroleerd."), field="id_checked")
    _check_birth_date(birth_date)
    if _already_resident(session, user, entry.area_id):
        raise InvalidState(_("%(name)s is al bevestigd als bewoner van %(area)s.",
                             name=user.name, area=entry.area.name))
    try:
        with session.begin_nested():
            if not _take_place(session, entry.id):
                raise _NoPlace()
            residency = _add_residency(session, user, entry, method=VerificationMethod.IN_PERSON,
                                       verified_by=actor, birth_date=birth_date)
    except (_NoPlace, IntegrityError):
        raise InvalidState(_("Op dit adres zijn al evenveel bewoners bevestigd als er volgens het "
                             "adressenbestand wonen.")) from None
    session.refresh(entry)
    audit.record(session, actor=actor, action="residency.verify_in_person", obj_type="user", obj_id=user.id,
                 area_id=entry.area_id, after={"id_checked": True, "register_entry": entry.id,
                                               "method": VerificationMethod.IN_PERSON.value})
    return residency


@dataclass(frozen=True)
class NewLogin:
    """An account made at the information point, with its one-time visible password."""

    user: User
    username: str
    password: str


def _readable(n: int) -> str:
    return "".join(secrets.choice(letter_codes.ALPHABET.lower()) for _ in range(n))


def create_account_in_person(
    session: Session, entry: RegisterEntry, *, actor: User, name: str, id_checked: bool,
    birth_date: dt.date | None = None,
) -> NewLogin:
    """Create an account without e-mail for someone at the information point and verify it.

    Audited as ``residency.account_in_person`` (who made which account, in which area; nothing
    about any ballot), which the area's managers see in a daily list.

    Raises:
        PermissionDenied: ``actor`` does not work the information point of the entry's area.
        ValidationFailed: the ID was not checked.
        InvalidState: the address is full.
    """
    authz.require_info_point(actor, entry.area)
    if not id_checked:
        raise ValidationFailed(_("Bevestig dat u een identiteitsbewijs heeft gecontroleerd."), field="id_checked")
    username = "bewoner-" + _readable(6)
    while accounts.find_by_login(session, username) is not None:
        username = "bewoner-" + _readable(6)
    password = "-".join(_readable(4) for _ in range(4))
    user = accounts.create_user(session, actor=actor, email=None, name=name, password=password,
                                role=Role.RESIDENT, username=username)
    verify_in_person(session, user, entry, actor=actor, id_checked=True, birth_date=birth_date)
    audit.record(session, actor=actor, action="residency.account_in_person", obj_type="user", obj_id=user.id,
                 area_id=entry.area_id, after={"username": username})
    return NewLogin(user=user, username=username, password=password)


def set_birth_date(session: Session, user: User, birth_date: dt.date) -> list[Residency]:
    """The resident adds or changes their birth date in their account, on every residency.

    Where the register holds a birth year, a date in another year is refused: the register's
    year wins for the age rule, so such a date would change nothing. The date itself is not
    written to the audit log.

    Raises:
        ValidationFailed: a date not in the past, a year the register contradicts, or no residency.
    """
    _check_birth_date(birth_date)
    residencies = list(session.scalars(select(Residency).where(Residency.user_id == user.id)))
    if not residencies:
        raise ValidationFailed(_("Bevestig eerst uw adres. Daarna kunt u uw geboortedatum invullen."),
                               field="birth_date")
    for residency in residencies:
        if residency.birth_year is not None and residency.birth_year != birth_date.year:
            raise ValidationFailed(
                _("Het geboortejaar %(year)s past niet bij de gemeentelijke administratie. "
                  "Klopt uw geboortedatum wel? Ga dan naar het informatiepunt met uw identiteitsbewijs.",
                  year=birth_date.year),
                field="birth_date",
            )
    for residency in residencies:
        residency.birth_date = birth_date
    session.flush()
    audit.record(session, actor=user, action="residency.set_birth_date", obj_type="user", obj_id=user.id)
    return residencies


# --- age -------------------------------------------------------------------------------------


def age_on(residency: Residency, on: dt.date) -> int | None:
    """The resident's age on ``on``, or None when unknown.

    The register's birth year wins over a declared birth date with another year. With only a
    birth year, the age is the age reached in that calendar year ("in het jaar dat u 12 wordt").
    """
    born = residency.birth_date
    if born is not None and (residency.birth_year is None or residency.birth_year == born.year):
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    if residency.birth_year is not None:
        return on.year - residency.birth_year
    return None


def meets_age_limits(residency: Residency, budget_round: BudgetRound, on: dt.date | None = None) -> bool:
    """Whether the resident is within the round's minimum and maximum age on ``on`` (default today).

    A round without limits lets everyone in; with a limit, an unknown age does not pass.
    """
    if budget_round.min_age is None and budget_round.max_age is None:
        return True
    age = age_on(residency, on or local_today())
    if age is None:
        return False
    if budget_round.min_age is not None and age < budget_round.min_age:
        return False
    return budget_round.max_age is None or age <= budget_round.max_age


# --- privacy ---------------------------------------------------------------------------------


def delete_account(session: Session, user: User, *, password: str) -> None:
    """Delete a resident's own account. Proposals stay without author; ballots stay (they are anonymous).

    When another table must keep pointing at the account (a participation records that someone
    voted, so turnout stays right and nobody votes twice), the row stays as an empty shell: no
    name, e-mail, username or usable password, no residencies, supports or failures.

    Raises:
        ValidationFailed: wrong password.
        PermissionDenied: staff, manager and admin accounts are removed by the municipality.
    """
    if not check_password_hash(user.password_hash, password):
        raise ValidationFailed(_("Het wachtwoord klopt niet."), field="password")
    if user.role != Role.RESIDENT:
        raise PermissionDenied(_("Medewerkers kunnen hun account niet zelf verwijderen. Vraag dit aan de gemeente."))
    user_id = user.id
    try:
        with session.begin_nested():
            session.delete(user)
            session.flush()
        outcome = "deleted"
    except IntegrityError:
        _anonymise(session, user_id)
        outcome = "anonymised"
    audit.record(session, actor=None, action="user.delete_self", obj_type="user", obj_id=user_id,
                 after={"outcome": outcome})


def _anonymise(session: Session, user_id: int) -> None:
    """Strip an account of everything personal, keeping only its id."""
    from pb.models.proposal import Proposal, Support, proposal_coinitiators

    session.expire_all()
    user = session.get(User, user_id)
    assert user is not None
    session.execute(update(Proposal).where(Proposal.author_id == user_id).values(author_id=None)
                    .execution_options(synchronize_session=False))
    session.execute(delete(Support).where(Support.user_id == user_id))
    session.execute(delete(proposal_coinitiators).where(proposal_coinitiators.c.user_id == user_id))
    session.execute(delete(VerificationFailure).where(VerificationFailure.user_id == user_id))
    session.execute(delete(Residency).where(Residency.user_id == user_id))
    user.name = _("Verwijderd account")
    user.email = None
    user.username = None
    user.email_confirmed_at = None
    user.password_hash = generate_password_hash(secrets.token_urlsafe(32))
    user.rotate_session_token()
    session.flush()
    session.expire_all()


@dataclass(frozen=True)
class InPersonAccount:
    """One account made at an information point, for the area manager's daily list."""

    at: dt.datetime
    user: User | None  # None when the account was deleted since
    staff: User | None


def accounts_made_in_person(session: Session, area_id: int, day: dt.date,
                            tz: dt.tzinfo) -> list[InPersonAccount]:
    """Accounts the information point made in an area on ``day`` (local date), earliest first."""
    from pb.models.audit import AuditEntry

    start = dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz).astimezone(dt.UTC)
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "residency.account_in_person",
                                 AuditEntry.area_id == area_id, AuditEntry.at >= start, AuditEntry.at < end)
        .order_by(AuditEntry.seq)
    ).all()
    return [InPersonAccount(at=e.at, user=session.get(User, int(e.object_id)),
                            staff=session.get(User, e.actor_id) if e.actor_id else None) for e in entries]
