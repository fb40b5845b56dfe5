"""Online verification with a letter code: threats #5, #6 and #7, throttles, the alarm."""

from __future__ import annotations

import datetime as dt
import logging
import threading

from flask import Flask
from sqlalchemy import delete, func, select, text, update

from pb.db import Base, db_session
from pb.models.register import LetterCode, RegisterEntry, VerificationFailure, VerificationThrottle
from pb.models.residency import Residency, VerificationMethod
from pb.services import letter_codes
from pb.services import residency as residency_service
from tests.factories import (PASSWORD, make_area, make_letter_code, make_register_entry, make_user,
                             without_csrf_token)

FAILURE = "Deze gegevens kloppen niet."


def _post(client, *, postcode="7071AB", huisnummer=12, toevoeging="", code="", ip="127.0.0.1", **extra):
    data = {"postcode": postcode, "huisnummer": str(huisnummer), "toevoeging": toevoeging, "code": code, **extra}
    return client.post("/verify", data=data, environ_base={"REMOTE_ADDR": ip})


def _residencies(session, user) -> list[Residency]:
    return list(session.scalars(select(Residency).where(Residency.user_id == user.id)))


def test_qr_link_prefills_and_verifies(client, auth, session):
    area = make_area(session, name="Ulft")
    entry = make_register_entry(session, area, postcode="7071AB", huisnummer=12, toevoeging="A", birth_year=1980)
    code = make_letter_code(session, entry)
    user = make_user(session)
    session.commit()
    auth.login(user.email)
    link = letter_codes.verify_url(entry, code).removeprefix("http://buurtbudget.test")
    page = client.get(link).get_data(as_text=True)
    assert 'value="7071AB"' in page and 'value="12"' in page and 'value="A"' in page
    assert f'value="{letter_codes.group_code(code)}"' in page
    resp = _post(client, huisnummer=12, toevoeging="a", code=code.lower()[:8] + " " + code[8:],
                 birth_date="1980-05-01")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/account")
    [residency] = _residencies(session, user)
    assert residency.area_id == area.id and residency.method == VerificationMethod.LETTER_CODE
    assert residency.register_entry_id == entry.id and residency.birth_year == 1980
    assert residency.birth_date == dt.date(1980, 5, 1)
    assert session.scalar(select(LetterCode.used_at)) is not None
    assert session.get(RegisterEntry, entry.id).verified_count == 1
    account = client.get("/account").get_data(as_text=True)
    assert "Ulft" in account and "met de code uit de brief" in account and "Dorpsstraat 12A, 7071 AB Ulft" in account


def test_verify_requires_login(client):
    resp = client.get("/verify?code=ABCD")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_no_plaintext_code_anywhere_in_the_database_after_use(client, auth, session):
    area = make_area(session)
    entry = make_register_entry(session, area, eligible_count=3)
    batch = letter_codes.generate_codes(session, area, actor=None, valid_until=dt.date.today() + dt.timedelta(days=5))
    codes = [p.code for p in batch.letters[0].codes]
    user = make_user(session)
    session.commit()
    auth.login(user.email)
    assert _post(client, postcode=entry.postcode, huisnummer=entry.huisnummer, code=codes[0]).status_code == 302
    _post(client, postcode=entry.postcode, huisnummer=entry.huisnummer + 1, code=codes[1])  # a failure
    dump = []
    for table in Base.metadata.sorted_tables:
        for row in session.execute(select(table)):
            dump.extend(str(v).upper() for v in row)
    everything = "\n".join(dump)
    for code in codes:
        assert code not in everything and letter_codes.group_code(code) not in everything


def test_four_failure_cases_give_identical_answers(client, auth, session):
    """The same typed address and code; only the server's data differs between the cases."""
    x = make_area(session, slug="x", postcodes=["7071"])
    y = make_area(session, slug="y", postcodes=["7081"])
    other_entry = make_register_entry(session, x, postcode="7071ZZ", huisnummer=99)
    code = make_letter_code(session, other_entry)
    user = make_user(session)
    session.commit()
    auth.login(user.email)
    client.get("/")  # shows (and so clears) the welcome message
    typed = {"postcode": "7081AB", "huisnummer": 5, "code": code}
    bodies = {}

    # 1. unknown address (the code is real, for another address)
    resp = _post(client, **typed)
    bodies["unknown address"] = (resp.status_code, without_csrf_token(resp.get_data(as_text=True)))
    # 2. the address exists, but in another area than the code
    entry = make_register_entry(session, y, postcode="7081AB", huisnummer=5)
    session.commit()
    resp = _post(client, **typed)
    bodies["other area"] = (resp.status_code, without_csrf_token(resp.get_data(as_text=True)))
    # 3. the address is in the code's area, but the code is not its code (wrong code)
    session.execute(text("UPDATE register_entries SET area_id = :a WHERE id = :i"), {"a": x.id, "i": entry.id})
    session.commit()
    resp = _post(client, **typed)
    bodies["wrong code"] = (resp.status_code, without_csrf_token(resp.get_data(as_text=True)))
    # 4. the code belongs to this address but was used already
    session.execute(text("UPDATE letter_codes SET register_entry_id = :i, used_at = CURRENT_TIMESTAMP"), {"i": entry.id})
    session.commit()
    resp = _post(client, **typed)
    bodies["used code"] = (resp.status_code, without_csrf_token(resp.get_data(as_text=True)))

    reference = bodies["unknown address"]
    assert reference[0] == 200 and FAILURE in reference[1]
    assert code not in reference[1]  # the typed code is not echoed back
    for case, answer in bodies.items():
        assert answer == reference, case
    assert _residencies(session, user) == []
    assert session.scalar(select(func.count(VerificationFailure.id))) == 4


def test_account_locked_after_five_failures_even_with_correct_code(client, auth, session):
    area = make_area(session)
    entry = make_register_entry(session, area)
    code = make_letter_code(session, entry)
    user = make_user(session)
    session.commit()
    auth.login(user.email)
    for n in range(5):
        resp = _post(client, postcode=entry.postcode, huisnummer=entry.huisnummer, code="ABCDABCDABCDABC" + str(n + 2))
        assert resp.status_code == 200 and FAILURE in resp.get_data(as_text=True)
    resp = _post(client, postcode=entry.postcode, huisnummer=entry.huisnummer, code=code)
    assert resp.status_code == 429 and "te vaak een foute code" in resp.get_data(as_text=True)
    assert _residencies(session, user) == []
    now = dt.datetime.now(dt.timezone.utc)
    until = residency_service.account_locked_until(session, user)
    assert until is not None and dt.timedelta(minutes=4) < until - now <= dt.timedelta(minutes=5)
    # The lock ends after 5 minutes; the next lock (after 5 more failures) lasts 15 minutes.
    session.execute(update(VerificationThrottle).values(locked_until=now - dt.timedelta(minutes=1)))
    session.commit()
    assert residency_service.account_locked_until(session, user) is None
    for n in range(5):
        resp = _post(client, postcode="7000AA", huisnummer=1, code="ABCDABCDABCDABC" + str(n + 2))
        assert resp.status_code == 200
    until = residency_service.account_locked_until(session, user)
    assert until is not None and dt.timedelta(minutes=14) < until - now <= dt.timedelta(minutes=16)
    session.execute(update(VerificationThrottle).values(locked_until=now - dt.timedelta(minutes=1)))
    session.execute(delete(VerificationFailure))  # a quarter of an hour later: the IP limit is over too
    session.commit()
    assert _post(client, postcode=entry.postcode, huisnummer=entry.huisnummer, code=code).status_code == 302
    assert len(_residencies(session, user)) == 1


def _login(app: Flask, user, ip: str):
    """A client with a fresh cookie, logged in from ``ip`` (login sessions are bound to the IP)."""
    c = app.test_client()
    c.post("/login", data={"login": user.email, "password": PASSWORD, "csrf_token": c.csrf_token()},
           environ_base={"REMOTE_ADDR": ip})
    return c


def test_eleventh_failure_from_one_ip_refused_even_with_fresh_cookies(app: Flask, session):
    area = make_area(session)
    entry = make_register_entry(session, area)
    code = make_letter_code(session, entry)
    users = [make_user(session) for _ in range(4)]
    session.commit()
    attempts = 0
    for user in users[:3]:  # 3 accounts x 4 failures would exceed 10: stop at 10
        fresh = _login(app, user, "192.0.2.7")
        for _ in range(4):
            if attempts == 10:
                break
            # Other house numbers each time: this test is about the IP limit, not the address lock.
            resp = _post(fresh, postcode=entry.postcode, huisnummer=200 + attempts, code="WRONGWRONGWRONG2",
                         ip="192.0.2.7")
            assert resp.status_code == 200
            attempts += 1
    assert session.scalar(select(func.count(VerificationFailure.id)).where(VerificationFailure.ip == "192.0.2.7")) == 10
    fresh = _login(app, users[3], "192.0.2.7")  # new cookie, new account, right code: still refused
    resp = _post(fresh, postcode=entry.postcode, huisnummer=entry.huisnummer, code=code, ip="192.0.2.7")
    assert resp.status_code == 429 and "te veel foute pogingen" in resp.get_data(as_text=True)
    assert _residencies(session, users[3]) == []
    other_ip = _login(app, users[3], "198.51.100.1")
    resp = _post(other_ip, postcode=entry.postcode, huisnummer=entry.huisnummer, code=code, ip="198.51.100.1")
    assert resp.status_code == 302 and len(_residencies(session, users[3])) == 1


def test_second_account_with_the_same_code_is_refused(app: Flask, session):
    area = make_area(session)
    entry = make_register_entry(session, area, eligible_count=2)
    code = make_letter_code(session, entry)
    first, second = make_user(session), make_user(session)
    session.commit()
    for user, expected in ((first, 302), (second, 200)):
        c = app.test_client()
        c.post("/login", data={"login": user.email, "password": PASSWORD, "csrf_token": c.csrf_token()})
        resp = _post(c, postcode=entry.postcode, huisnummer=entry.huisnummer, code=code)
        assert resp.status_code == expected
    assert len(_residencies(session, first)) == 1 and _residencies(session, second) == []


def test_eligible_count_limits_accounts_per_address(app: Flask, session):
    area = make_area(session)
    entry = make_register_entry(session, area, eligible_count=1)
    codes = [make_letter_code(session, entry) for _ in range(2)]  # e.g. an older batch not revoked
    first, second = make_user(session), make_user(session)
    session.commit()
    for user, code, expected in ((first, codes[0], 302), (second, codes[1], 200)):
        c = app.test_client()
        c.post("/login", data={"login": user.email, "password": PASSWORD, "csrf_token": c.csrf_token()})
        resp = _post(c, postcode=entry.postcode, huisnummer=entry.huisnummer, code=code)
        assert resp.status_code == expected
        if expected == 200:
            assert FAILURE in resp.get_data(as_text=True)
    assert session.get(RegisterEntry, entry.id).verified_count == 1
    assert session.scalar(select(func.count(Residency.id)).where(Residency.register_entry_id == entry.id)) == 1


def _race(app: Flask, user_ids: list[int], codes: list[str], postcode: str, number: int, ip: str) -> list[str]:
    """Every account verifies at once (a barrier releases them together); "ok" or "refused" each."""
    from pb.models.user import User

    barrier = threading.Barrier(len(user_ids))
    outcomes: list[str] = []

    def attempt(user_id: int, code: str) -> None:
        with app.test_request_context():
            s = db_session()
            user = s.get(User, user_id)
            s.commit()  # end the read: on SQLite every transaction holds the write lock
            barrier.wait(timeout=30)
            try:
                residency_service.verify_with_code(
                    s, user, address=residency_service.AddressInput(postcode, number), code=code, ip=ip)
            except residency_service.VerificationRefused:
                outcomes.append("refused")
            else:
                outcomes.append("ok")
            s.commit()

    threads = [threading.Thread(target=attempt, args=(uid, code)) for uid, code in zip(user_ids, codes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(outcomes)


def test_concurrent_verifications_never_exceed_the_eligible_count(app: Flask, session):
    """Six accounts with six different codes race for an address with two eligible residents."""
    area = make_area(session)
    entry = make_register_entry(session, area, eligible_count=2)
    codes = [make_letter_code(session, entry) for _ in range(6)]
    users = [make_user(session) for _ in range(6)]
    entry_id, user_ids, postcode, number = entry.id, [u.id for u in users], entry.postcode, entry.huisnummer
    session.commit()
    outcomes = _race(app, user_ids, codes, postcode, number, "10.1.1.1")
    assert outcomes == ["ok", "ok", "refused", "refused", "refused", "refused"]
    session.expire_all()
    assert session.get(RegisterEntry, entry_id).verified_count == 2
    assert session.scalar(select(func.count(Residency.id)).where(Residency.register_entry_id == entry_id)) == 2


def test_concurrent_use_of_one_code_gives_one_residency(app: Flask, session):
    area = make_area(session)
    entry = make_register_entry(session, area, eligible_count=5)
    code = make_letter_code(session, entry)
    users = [make_user(session) for _ in range(4)]
    user_ids, postcode, number = [u.id for u in users], entry.postcode, entry.huisnummer
    session.commit()
    outcomes = _race(app, user_ids, [code] * len(user_ids), postcode, number, "10.1.1.2")
    assert outcomes == ["ok", "refused", "refused", "refused"]
    session.expire_all()
    assert session.scalar(select(func.count(Residency.id))) == 1


def test_expired_code_is_refused_with_the_same_answer(client, auth, session):
    area = make_area(session)
    entry = make_register_entry(session, area)
    code = make_letter_code(session, entry, valid_days=-1)
    user = make_user(session)
    session.commit()
    auth.login(user.email)
    resp = _post(client, postcode=entry.postcode, huisnummer=entry.huisnummer, code=code)
    assert resp.status_code == 200 and FAILURE in resp.get_data(as_text=True)
    assert _residencies(session, user) == []


def test_global_failure_spike_logs_an_alarm_without_codes(app, client, auth, session, caplog):
    app.config["VERIFY_ALARM_THRESHOLD"] = 3
    area = make_area(session)
    entry = make_register_entry(session, area)
    user = make_user(session)
    session.commit()
    auth.login(user.email)
    with caplog.at_level(logging.WARNING, logger="pb.services.residency"):
        for n in range(3):
            resp = _post(client, postcode=entry.postcode, huisnummer=entry.huisnummer,
                         code=f"SECRETCODE{n + 2}XYZ22")
            assert FAILURE in resp.get_data(as_text=True)
    alarms = [r for r in caplog.records if "verification failures alarm" in r.getMessage()]
    assert len(alarms) == 1 and alarms[0].levelno == logging.WARNING
    assert "SECRETCODE" not in caplog.text and entry.postcode not in caplog.text


def test_verify_posts_are_also_rate_limited(migrated_url, tmp_path, app_config):
    from pb import create_app
    from tests.conftest import CSRFClient, _fresh_url

    limited = create_app({**app_config, "DATABASE_URL": _fresh_url(migrated_url, tmp_path),
                          "RATELIMIT_ENABLED": True, "RATELIMIT_AUTH": "2 per minute"})
    limited.test_client_class = CSRFClient
    with limited.app_context():
        s = db_session()
        user = make_user(s)
        email = user.email
        s.commit()
    c = limited.test_client()
    c.post("/login", data={"login": email, "password": PASSWORD, "csrf_token": c.csrf_token()})
    codes = [_post(c, code="WRONGWRONGWRONG2").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    with limited.app_context():
        assert db_session().scalar(select(func.count(VerificationFailure.id))) == 2
    limited.extensions["pb_db"].kw["bind"].dispose()


def test_access_log_lines_do_not_contain_codes():
    from pb.views.residency import RedactCodes

    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '%s - - "%s" %s', (
        "127.0.0.1", "GET /verify?postcode=7071AB&huisnummer=1&toevoeging=&code=ABCD-EFGH-JKMN-PQRS HTTP/1.1", "302"),
        None)
    RedactCodes().filter(record)
    line = record.getMessage()
    assert "ABCD" not in line and "code=[weggelaten]" in line and "postcode=7071AB" in line
    nested = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, "GET /login?next=%s", (
        "/verify%3Fpostcode%3D7071AB%26code%3DABCD-EFGH-JKMN-PQRS",), None)
    RedactCodes().filter(nested)
    assert "ABCD" not in nested.getMessage()


def test_already_resident_is_told_so_and_the_code_stays_unused(client, auth, session):
    area = make_area(session, name="Varsseveld")
    entry = make_register_entry(session, area, eligible_count=2)
    first, second = make_letter_code(session, entry), make_letter_code(session, entry)
    user = make_user(session)
    session.commit()
    auth.login(user.email)
    assert _post(client, postcode=entry.postcode, huisnummer=entry.huisnummer, code=first).status_code == 302
    resp = _post(client, postcode=entry.postcode, huisnummer=entry.huisnummer, code=second)
    assert "al bevestigd als bewoner van Varsseveld" in resp.get_data(as_text=True)
    assert session.scalar(select(func.count(LetterCode.id)).where(LetterCode.used_at.is_(None))) == 1
    assert session.get(RegisterEntry, entry.id).verified_count == 1


def test_future_birth_date_is_refused_before_anything_is_checked(client, auth, session):
    area = make_area(session)
    entry = make_register_entry(session, area)
    code = make_letter_code(session, entry)
    user = make_user(session)
    session.commit()
    auth.login(user.email)
    future = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    resp = _post(client, postcode=entry.postcode, huisnummer=entry.huisnummer, code=code, birth_date=future)
    assert "geboortedatum in het verleden" in resp.get_data(as_text=True)
    assert _residencies(session, user) == []
    assert session.scalar(select(func.count(VerificationFailure.id))) == 0


def _lock_race(app: Flask, attempts: list[tuple[int, str, int]]) -> dict[str, int]:
    """Every (user id, postcode, house number) attempts a wrong code at once; count the answers."""
    from pb.models.user import User

    barrier = threading.Barrier(len(attempts))
    outcomes: dict[str, int] = {}
    lock = threading.Lock()

    def attempt(n: int, user_id: int, postcode: str, number: int) -> None:
        with app.test_request_context():
            s = db_session()
            user = s.get(User, user_id)
            s.commit()
            barrier.wait(timeout=60)
            try:
                residency_service.verify_with_code(
                    s, user, address=residency_service.AddressInput(postcode, number),
                    code="ABCDABCDABCDABCD", ip=f"10.9.{n // 250}.{n % 250}")
            except residency_service.VerificationRefused:
                outcome = "checked"
                s.commit()
            except residency_service.VerificationThrottled:
                outcome = "throttled"
                s.rollback()
            with lock:
                outcomes[outcome] = outcomes.get(outcome, 0) + 1

    threads = [threading.Thread(target=attempt, args=(n, *a)) for n, a in enumerate(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_lock_holds_at_the_exact_limit_under_40_concurrent_attempts_per_account(app: Flask, session):
    area = make_area(session)
    entry = make_register_entry(session, area)
    user = make_user(session)
    user_id, postcode = user.id, entry.postcode
    session.commit()
    outcomes = _lock_race(app, [(user_id, postcode, 100 + n) for n in range(40)])
    assert outcomes == {"checked": 5, "throttled": 35}
    assert residency_service.account_locked_until(session, session.get(type(user), user_id)) is not None


def test_lock_holds_at_the_exact_limit_under_40_concurrent_attempts_per_address(app: Flask, session):
    area = make_area(session)
    entry = make_register_entry(session, area)
    users = [make_user(session) for _ in range(40)]
    attempts = [(u.id, entry.postcode, entry.huisnummer) for u in users]
    session.commit()
    assert _lock_race(app, attempts) == {"checked": 5, "throttled": 35}
    # The lock does not tell whether an address exists: an unknown one locks the same way.
    others = [make_user(session) for _ in range(6)]
    attempts = [(u.id, "9999ZZ", 1) for u in others]
    session.commit()
    assert _lock_race(app, attempts) == {"checked": 5, "throttled": 1}
