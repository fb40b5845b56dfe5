"""Fuzz ``pb import-pabulib`` with seeded mutations of real shared files (THREAT #27, #29).

Every mutated file is either imported whole (the stored ballots are exactly the file's) or
refused with exit 1, a message naming the file, no traceback, and nothing stored. Needs
``../shared/pabulib`` (or ``PB_PABULIB_DIR``); skips with a message when it is absent.
"""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select

from pb.models.area import Area
from pb.models.ballot import Ballot, BallotItem
from pb.models.proposal import Proposal
from pb.models.result import RoundImport
from pb.models.round import BudgetRound
from pb.services import pabulib_import
from pb.tally import TallyError, read_pb

# Small files of every vote type (a few hundred ballots each), so 60 imports stay quick.
FILES = ("Netherlands_Assen_2024.pb", "Poland_Gdynia_2021_Srodmiescie__small.pb",
         "Poland_Warszawa_2017_Brodno-Podgrodzie.pb")
MUTATIONS_PER_FILE = 30


def _shared(name: str) -> bytes:
    path = pabulib_import.pabulib_dir() / name
    if not path.exists():
        pytest.skip(f"shared pabulib files not available ({path}); set PB_PABULIB_DIR to run the fuzz test")
    return path.read_bytes()


def _mutate(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    kind = rng.randrange(9)
    i = rng.randrange(len(lines))
    if kind == 0:  # cut the file anywhere
        return data[: rng.randrange(len(data))]
    if kind == 1:  # a junk line
        lines.insert(i, rng.choice([b"garbage", b"<html>", b"1;2;3;4;5;6;7", b";;;", b"VOTES", b"\x00\x01"]))
    elif kind == 2:  # drop a line
        del lines[i]
    elif kind == 3:  # repeat a line
        lines.insert(i, lines[i])
    elif kind == 4:  # a hostile number in place of a number
        digits = [k for k, ch in enumerate(lines[i]) if 48 <= ch <= 57]
        if digits:
            k = rng.choice(digits)
            bomb = rng.choice([b"1/0", b"1e999999", b"9" * 400, b"-5", b"0.0000001", b"99999999999999999"])
            lines[i] = lines[i][:k] + bomb + lines[i][k + 1:]
    elif kind == 5:  # another encoding
        try:
            return data.decode("utf-8-sig").encode("cp1250", errors="replace")
        except UnicodeError:
            return data
    elif kind == 6:  # flip a byte
        if lines[i]:
            k = rng.randrange(len(lines[i]))
            lines[i] = lines[i][:k] + bytes([rng.randrange(256)]) + lines[i][k + 1:]
    elif kind == 7:  # a stray quote
        lines[i] = b'"' + lines[i]
    else:  # a semicolon more
        lines[i] = lines[i] + b";x"
    return b"\n".join(lines)


def _counts(session) -> tuple[int, ...]:
    return tuple(session.scalar(select(func.count()).select_from(m)) for m in
                 (BudgetRound, Proposal, Ballot, BallotItem, RoundImport, Area))


@pytest.mark.parametrize("name", FILES)
def test_mutated_files_are_imported_whole_or_refused_cleanly(runner, session, tmp_path, name):
    original = _shared(name)
    rng = random.Random(f"fuzz-{name}")
    outcomes = {"imported": 0, "refused": 0}
    for n in range(MUTATIONS_PER_FILE):
        data = _mutate(original, rng)
        path = tmp_path / f"mutated-{n}.pb"
        path.write_bytes(data)
        before = _counts(session)
        result = runner.invoke(args=["pb", "import-pabulib", str(path), "--area", "fuzz", "--create-area"])
        session.expire_all()
        assert result.exception is None or isinstance(result.exception, SystemExit), (n, result.exception)
        assert "Traceback" not in result.output
        if result.exit_code == 0:
            outcomes["imported"] += 1
            election = read_pb(data, name=path.name)  # what was stored is the whole file
            round_id = int(result.output.strip().splitlines()[-1])
            stored = session.scalar(select(func.count()).select_from(Ballot).where(Ballot.round_id == round_id))
            assert stored == len(election.ballots)
        else:
            outcomes["refused"] += 1
            assert result.exit_code == 1 and path.name in result.output, result.output
            assert _counts(session) == before
            try:
                read_pb(data, name=path.name)
            except TallyError as exc:
                assert exc.line is not None or "cut" in exc.problem or "missing" in exc.problem, exc
    print(name, outcomes)
    assert outcomes["refused"] >= MUTATIONS_PER_FILE // 4, outcomes
