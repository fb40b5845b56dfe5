"""The audit log is hash-chained, append-only, keeps no secrets, and survives concurrency."""

from __future__ import annotations


import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from pb.models.audit import AuditEntry
from pb.services import audit
from tests.concurrency import run_at_once


def _rec(session, n=1):
    for i in range(n):
        audit.record(session, actor=None, action="test.do", obj_type="thing", obj_id=i,
                     before={"a": i}, after={"a": i + 1, "password": "geheim", "code": "ABCD"})


def test_chain_verifies_and_detects_tampering(session, app):
    _rec(session, 5)
    session.commit()
    assert audit.verify_chain(session) is None
    entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
    assert entries[0].prev_hash == "0" * 64 and entries[1].prev_hash == entries[0].hash
    assert "geheim" not in entries[0].after_json and "ABCD" not in entries[0].after_json


def test_update_and_delete_are_refused_by_the_database(session):
    _rec(session, 2)
    session.commit()
    for stmt in ("UPDATE audit_entries SET reason = 'x'", "DELETE FROM audit_entries"):
        with pytest.raises(DBAPIError):
            session.execute(text(stmt))
        session.rollback()
    assert len(list(session.scalars(select(AuditEntry)))) == 2


def test_concurrent_writers_keep_one_chain(app):
    from pb.db import db_session

    n = 6
    errors = run_at_once(app, n, lambda s: _rec(s, 3))
    assert not errors, errors
    with app.app_context():
        s = db_session()
        assert len(list(s.scalars(select(AuditEntry)))) == n * 3
        assert audit.verify_chain(s) is None
