"""Unit checks of the counting bridge: the services that know both the models and the engine."""

from __future__ import annotations

import ast
import hashlib
import re
from pathlib import Path

from pb.models.round import BudgetRound, TieBreak
from pb.services import ballot_files
from pb.services import counting
from pb.services import money
from pb.services import pabulib_import
from pb.views import presenters
from pb import csv_cells


ROOT = Path(__file__).resolve().parents[3]


# The services that translate between the models and the engine (its data and its file format).
ENGINE_BRIDGE = {"counting.py", "ballot_files.py", "pabulib_import.py", "pabulib_meta.py", "recount.py", "money.py"}


def test_only_the_counting_services_import_the_engine():
    offenders = []
    for path in (ROOT / "pb").rglob("*.py"):
        if "tally" in path.relative_to(ROOT / "pb").parts[:1] or path.relative_to(ROOT / "pb").parts[0] == "services" and path.name in ENGINE_BRIDGE:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pb.tally"):
                offenders.append(str(path))
            if isinstance(node, ast.Import) and any(a.name.startswith("pb.tally") for a in node.names):
                offenders.append(str(path))
    assert offenders == []


def test_csv_safe_prefixes_every_formula_start():
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert csv_cells.csv_safe(f"{start}1+1") == f"'{start}1+1"
    assert csv_cells.csv_safe("Speeltuin") == "Speeltuin" and csv_cells.csv_safe(None) == ""
    assert csv_cells.csv_safe(-5) == "'-5"


def test_chain_head_follows_the_documented_recipe_and_detects_one_flipped_byte():
    text = "META\nkey;value\nbudget;10\nPROJECTS\nproject_id;cost\n1;5\n2;5\nVOTES\nvoter_id;vote\na1;1\nb2;1,2\n"
    expected = "0" * 64
    for row in ("a1;1", "b2;1,2"):
        expected = hashlib.sha256(f"{expected}\n{row}".encode()).hexdigest()
    assert ballot_files.chain_head(text) == expected
    assert ballot_files.chain_head(text.replace("b2;1,2", "b2;1,1")) != expected


def test_receipt_codes_are_random_unique_and_in_the_voting_format():
    codes = pabulib_import.bulk_receipt_codes(1000)
    batch = [next(codes) for _ in range(10_000)]
    assert len(set(batch)) == len(batch)
    assert all(re.fullmatch(r"[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", c) for c in batch)


def test_tie_break_mapping_and_seeded_lottery():
    round_ = BudgetRound(tie_break=TieBreak.LOTTERY, tie_break_seed="12345")
    assert counting.engine_tie_break(round_).to_dict() == {"kind": "lottery", "seed": 12345}
    round_.tie_break_seed = "voorjaar 2027"
    first = counting.engine_tie_break(round_)
    assert first.kind == "lottery" and first == counting.engine_tie_break(round_)
    round_.tie_break = TieBreak.ORDER
    assert counting.engine_tie_break(round_).kind == "file-order"
    round_.tie_break = TieBreak.LOWER_COST
    assert counting.engine_tie_break(round_).kind == "lower-cost"


def test_money_is_exact_euros():
    assert money.euros(1234550) == 12345.5 and money.cents(money.euros(1234550)) == 1234550
    assert presenters.money_cents("2469/2") == 123450
