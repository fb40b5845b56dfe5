"""What `pb demo` (and so `make run`) and the README tell a newcomer is true (threat 28): a printed
address gets a letter code with the printed command, and the printed pages turn a new account into
a verified resident with it. Also: two information-point workers, each working their own areas,
rounds in every phase before the results, and the real Assen round in an area of its own."""

from __future__ import annotations

import csv
import re
import shlex
from pathlib import Path

from sqlalchemy import select

from pb.db import utcnow
from pb.demo import address_register as demo_register
from pb.demo import results as demo_results
from pb.models.area import Area
from pb.models.residency import Residency
from pb.models.round import BudgetRound, Phase
from pb.models.user import Role, User
from pb.services import pabulib_import

ROOT = Path(__file__).resolve().parents[2]
PRINTED_URL = re.compile(r"http://127\.0\.0\.1:5000(/[\w/-]+)")


def _section(output: str, title: str) -> list[str]:
    lines = output.splitlines()
    start = lines.index(title) + 1
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("  ")), len(lines))
    return lines[start:end]


def test_the_printed_letter_code_instructions_work(runner, client, session, outbox, tmp_path, monkeypatch):
    result = runner.invoke(args=["pb", "demo"])
    assert result.exit_code == 0, result.output
    register = _section(result.output, "Demo address register (made-up addresses; each can get a letter code):")
    steps = _section(result.output, "To get a letter code and become a verified resident:")
    assert register and steps

    # Step 1: the printed command is the Makefile's flask command; run it as printed (from the checkout).
    command = shlex.split(steps[0].split(". ", 1)[1])
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "VENV := .venv" in makefile and "FLASK := $(VENV)/bin/flask --app wsgi" in makefile
    assert command[:3] == [".venv/bin/flask", "--app", "wsgi"] and command[3] == "pb"
    monkeypatch.chdir(tmp_path)
    run = runner.invoke(args=command[3:])
    assert run.exit_code == 0, run.output
    csv_path = tmp_path / command[command.index("--csv") + 1]
    with csv_path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))

    # A printed address of that area has a row with its code.
    slug = command[5]
    printed = next(line for line in register if line.strip().startswith(f"{slug}: ")).split(": ", 1)[1].split("; ")
    address = printed[2]  # "Kerkstraat 12A, 7071 AB Ulft": a house letter, typed as on the door
    street_number, postcode_town = address.split(", ")
    number = street_number.rsplit(" ", 1)[1]
    postcode = " ".join(postcode_town.split()[:2])
    row = next(r for r in rows if r["postcode"].replace(" ", "") == postcode.replace(" ", "")
               and f"{r['huisnummer']}{r['huisletter']}" == number)

    # Steps 2 and 3 on the printed pages.
    register_path, verify_path = (PRINTED_URL.search(steps[i]).group(1) for i in (2, 3))
    resp = client.post(register_path, data={"name": "Nieuwe Buur", "email": "nieuw@example.test",
                                            "password": "een lang wachtwoord", "password_confirm": "een lang wachtwoord"})
    assert resp.status_code == 302
    assert "instance/outbox/" in steps[2]
    link = re.search(r"https?://[^/\s]+(/confirm/[^\s]+)", outbox.last_body()).group(1)
    assert client.post(link).status_code in (200, 302)
    assert client.post("/login", data={"login": "nieuw@example.test", "password": "een lang wachtwoord"}).status_code == 302
    resp = client.post(verify_path, data={"postcode": postcode, "huisnummer": number, "code": row["code"]})
    assert resp.status_code in (200, 302), resp.get_data(as_text=True)
    user = session.scalar(select(User).where(User.email == "nieuw@example.test"))
    residency = session.scalar(select(Residency).where(Residency.user_id == user.id))
    assert residency is not None and residency.area.slug == slug


def test_the_readme_shows_what_pb_demo_prints():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for line in demo_register.register_lines() + demo_register.letter_code_steps():
        assert line.strip() in readme, line


def test_demo_has_two_scoped_information_point_workers_and_rounds_in_every_phase(runner, session):
    assert runner.invoke(args=["pb", "demo"]).exit_code == 0
    staff = list(session.scalars(select(User).where(User.role == Role.STAFF).order_by(User.email)))
    assert len(staff) == 2
    areas = [{a.slug for a in s.managed_areas} for s in staff]
    assert all(areas) and not areas[0] & areas[1]
    now = utcnow()
    phases = {r.phase_at(now) for r in session.scalars(select(BudgetRound))}
    expected = set(Phase) - {Phase.RESULTS}
    if (pabulib_import.pabulib_dir() / demo_results.DEMO_FILE).exists():
        expected = set(Phase)
        assen = session.scalar(select(Area).where(Area.slug == demo_results.DEMO_AREA))
        rounds = list(session.scalars(select(BudgetRound).where(BudgetRound.area_id == assen.id)))
        assert len(rounds) == 1 and rounds[0].phase_at(now) == Phase.RESULTS
    assert expected <= phases


def test_without_pabulib_the_assen_round_is_skipped_with_a_clear_message(runner, session, monkeypatch, tmp_path):
    monkeypatch.setenv("PB_PABULIB_DIR", str(tmp_path / "geen-pabulib"))
    result = runner.invoke(args=["pb", "demo"])
    assert result.exit_code == 0, result.output
    assert "Demo-uitslag Assen overgeslagen" in result.output and "PB_PABULIB_DIR" in result.output
    assert session.scalar(select(Area).where(Area.slug == demo_results.DEMO_AREA)) is None
