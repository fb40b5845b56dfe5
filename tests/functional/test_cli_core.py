"""The core CLI: init-db, demo, create-user."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pb.models.area import Area
from pb.models.user import Role, User


def test_init_db_is_idempotent(runner):
    for _ in range(2):
        result = runner.invoke(args=["pb", "init-db"])
        assert result.exit_code == 0, result.output


def test_demo_is_idempotent_and_has_the_four_areas(runner, session, client):
    for _ in range(2):
        result = runner.invoke(args=["pb", "demo"])
        assert result.exit_code == 0, result.output
    slugs = set(session.scalars(select(Area.slug)))
    assert {"ulft", "gendringen", "silvolde-terborg", "varsseveld"} <= slugs
    assert session.scalar(select(func.count()).select_from(User).where(User.email == "admin@buurtbudget.test")) == 1
    assert "admin@buurtbudget.test" in result.output
    body = client.get("/").get_data(as_text=True)
    for name in ("Ulft", "Gendringen", "Silvolde-Terborg", "Varsseveld"):
        assert name in body


def test_create_user_from_stdin(runner, session):
    runner.invoke(args=["pb", "demo"])
    result = runner.invoke(args=["pb", "create-user", "r@example.test", "--role", "manager", "--area", "ulft"],
                           input="een lang wachtwoord\n")
    assert result.exit_code == 0, result.output
    user = session.scalar(select(User).where(User.email == "r@example.test"))
    assert user.role == Role.MANAGER and [a.slug for a in user.managed_areas] == ["ulft"]


def test_create_user_failures_exit_nonzero(runner, session):
    bad = [
        (["pb", "create-user", "x@example.test", "--role", "manager", "--area", "nergens"], "een lang wachtwoord\n"),
        (["pb", "create-user", "x@example.test", "--role", "manager"], "een lang wachtwoord\n"),
        (["pb", "create-user", "x@example.test", "--role", "resident"], "kort\n"),
        (["pb", "create-user", "x@example.test", "--role", "keizer"], "een lang wachtwoord\n"),
    ]
    for args, stdin in bad:
        result = runner.invoke(args=args, input=stdin)
        assert result.exit_code != 0, args
    assert session.scalar(select(func.count()).select_from(User)) == 0


@pytest.mark.parametrize("args", [["publish", "99999999999"], ["seal-rounds", "--round", "99999999999"],
                                  ["publish", "0"]])
def test_round_commands_with_an_id_no_round_can_have(runner, session, args):
    """A clear message and a non-zero exit, not a database overflow error (PostgreSQL)."""
    result = runner.invoke(args=["pb", *args])
    assert result.exit_code != 0 and "bestaat niet" in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
