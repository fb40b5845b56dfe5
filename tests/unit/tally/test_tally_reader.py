"""Reader robustness, TallyError cases naming the line, writer and round trips on small files."""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import pytest

from pb.tally import Election, TallyError, VoteType, read_pb, write_pb

BASIC = """META
key;value
budget;1000
vote_type;approval
rule;greedy
PROJECTS
project_id;cost;votes;name;selected
a;600;2;Park;1
b;500.0;1;"Bench; with a semicolon";0
VOTES
voter_id;vote
1;a,b
2;a
3;
"""


def test_reads_basic_file() -> None:
    e = read_pb(BASIC)
    assert e.budget == 1000 and e.vote_type is VoteType.APPROVAL and e.rule == "greedy"
    assert [p.id for p in e.projects] == ["a", "b"]
    assert e.projects[1].cost == 500 and isinstance(e.projects[1].cost, int)
    assert e.projects[1].name == "Bench; with a semicolon"
    assert [b.projects for b in e.ballots] == [(0, 1), (0,), ()]
    assert e.profile.n_voters == 3 and e.profile.scores == (2, 1)
    assert e.projects[0].official_selected == 1


def test_tolerates_cr_bom_spaces_none_and_quotes() -> None:
    messy = "\ufeff" + BASIC.replace("\n", "\r\n").replace("a;600;2", "a ; 600 ;  2")
    messy = messy.replace("rule;greedy", "rule ; greedy\r\nmin_length;none")
    e = read_pb(messy)
    assert [p.id for p in e.projects] == ["a", "b"] and e.projects[0].cost == 600
    assert e.rule == "greedy" and e.min_length is None
    assert e.projects[1].name == "Bench; with a semicolon"
    lone_cr = read_pb(BASIC.replace("\n", "\r"))
    assert [b.projects for b in lone_cr.ballots] == [(0, 1), (0,), ()]


def test_reads_path_bytes_and_file_objects(tmp_path: Path) -> None:
    path = tmp_path / "x.pb"
    path.write_text(BASIC, encoding="utf-8")
    expected = read_pb(BASIC)
    assert read_pb(path) == expected
    assert read_pb(str(path)) == expected
    assert read_pb(BASIC.encode("utf-8-sig")) == expected
    assert read_pb(io.StringIO(BASIC)) == expected
    assert read_pb(io.BytesIO(BASIC.encode())) == expected


def test_fractional_budget_and_costs_stay_exact() -> None:
    e = read_pb(BASIC.replace("budget;1000", "budget;1000.25").replace("a;600;", "a;600.5;"))
    assert e.budget == Fraction(4001, 4) and e.projects[0].cost == Fraction(1201, 2)
    again = read_pb(write_pb(e))
    assert again.budget == e.budget and again.projects[0].cost == e.projects[0].cost


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (BASIC.replace("1;a,b", "1;a,zz"), 12, "unknown project 'zz'"),
        (BASIC.replace("a;600;", "a;-600;"), 8, "negative cost"),
        (BASIC.replace("budget;1000\n", ""), None, "no budget"),
        (BASIC.replace("a;600;", "a;six;"), 8, "not a number"),
        (BASIC.replace("budget;1000", "budget;lots"), 3, "not a number"),
        (BASIC.replace("PROJECTS", "VOTES", 1), 6, "section VOTES out of order"),
        (BASIC.split("VOTES")[0], 10, "missing section VOTES"),
        (BASIC.replace("a;600;2;Park;1", "a;600;2;Park;1;x;y"), 8, "7 fields"),
        (BASIC.replace("b;500.0", "a;500.0"), 9, "duplicate project id"),
        (BASIC.replace("project_id;cost", "project_id;price"), 7, "lacks the column 'cost'"),
        (BASIC.replace("vote_type;approval", "vote_type;ranked"), 4, "unknown vote_type"),
        ("hello\n" + BASIC, 1, "before the META"),
    ],
)
def test_malformed_input_names_line_and_problem(text: str, line: int | None, words: str) -> None:
    with pytest.raises(TallyError) as info:
        read_pb(text)
    assert words in str(info.value)
    assert info.value.line == line
    if line is not None:
        assert f"line {line}:" in str(info.value)


def test_cumulative_points_errors_and_parse() -> None:
    text = BASIC.replace("approval", "cumulative").replace("voter_id;vote", "voter_id;vote;points")
    text = text.replace("1;a,b\n", "1;a,b;3,2\n").replace("2;a\n", "2;a;5\n").replace("3;\n", "3;;\n")
    e = read_pb(text)
    assert e.vote_type is VoteType.CUMULATIVE and e.profile.scores == (8, 2)
    with pytest.raises(TallyError, match=r"line 12: voter 1: points 'x' do not parse"):
        read_pb(text.replace("3,2", "3,x"))
    with pytest.raises(TallyError, match=r"line 12: voter 1: 2 projects but 1 points"):
        read_pb(text.replace("3,2", "3"))


def test_error_from_path_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pb"
    bad.write_text(BASIC.replace("1;a,b", "1;a,q"), encoding="utf-8")
    with pytest.raises(TallyError, match=r"^bad.pb: line 12: voter 1 votes for unknown"):
        read_pb(bad)


def test_round_trip_is_identity_and_writer_is_deterministic() -> None:
    e = read_pb(BASIC)
    text = write_pb(e)
    assert read_pb(text) == e
    assert write_pb(read_pb(text)) == text
    assert '"Bench; with a semicolon"' in text


def test_writer_publishes_anonymised_ballots_with_selection(tmp_path: Path) -> None:
    e = read_pb(BASIC.replace("voter_id;vote", "voter_id;vote;age").replace("1;a,b", "1;a,b;40")
                .replace("2;a\n", "2;a;33\n").replace("3;\n", "3;;20\n"))
    out = tmp_path / "pub.pb"
    text = write_pb(e, out, selected=["a"], extra_meta={"description": "Buurt"},
                    anonymise=True)
    assert out.read_text(encoding="utf-8") == text
    back = read_pb(text)
    assert back.meta["description"] == "Buurt"
    assert [p.official_selected for p in back.projects] == [1, 0]
    assert back.vote_columns == () and "40" not in text.split("VOTES")[1]
    assert sorted(b.projects for b in back.ballots) == sorted(b.projects for b in e.ballots)
    assert [b.voter_id for b in back.ballots] == ["1", "2", "3"]
    with pytest.raises(TallyError, match="unknown projects"):
        write_pb(e, selected=["nope"])


def test_programmatic_election_round_trips() -> None:
    from pb.tally import Ballot, Project

    e = Election(budget=Fraction(5, 2), projects=(Project("x", 1), Project("y", Fraction(3, 2))),
                 ballots=(Ballot("1", (0, 1)), Ballot("2", (1,))), vote_type="ordinal")
    back = read_pb(write_pb(e))
    assert back.budget == e.budget and back.projects[1].cost == Fraction(3, 2)
    assert [b.projects for b in back.ballots] == [(0, 1), (1,)]
    assert back.profile.scores == (2, 2)  # Borda: (x, y) gives 2 and 1; (y) gives 1


def test_votes_fast_path_matches_csv_rules() -> None:
    """Unquoted VOTES lines are split without csv; quoted ones (even over lines) still parse."""
    text = (BASIC.replace("voter_id;vote\n", "voter_id;vote;note\n")
            .replace("1;a,b\n", "1;a,b;\n").replace("2;a\n", "2;a;\n")
            .replace("3;\n", '3;;\n4 ; b , a ;\xa0x\xa0\n5;"a,b";"two\nlines"\n6;none;\n7;a;\n'))
    e = read_pb(text)
    assert [b.projects for b in e.ballots] == [(0, 1), (0,), (), (1, 0), (0, 1), (), (0,)]
    assert [b.extra for b in e.ballots] == [("",), ("",), ("",), ("x",), ("two\nlines",), ("",),
                                            ("",)]
    assert [b.voter_id for b in e.ballots][3:] == ["4", "5", "6", "7"]
    with pytest.raises(TallyError, match=r"line 20: voter 8 votes for unknown project 'z'"):
        read_pb(text + "8;z;\n")
    with pytest.raises(TallyError, match=r"line 20: section META out of order"):
        read_pb(text + "META\n")


# --- Bad files: every one a TallyError naming the file, the line and the problem (issue 13) ----

def _write(tmp_path: Path, text: str | bytes, name: str = "bad.pb") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("encoding", ["cp1250", "latin-1"])
def test_other_encodings_are_refused_naming_line_and_byte(tmp_path: Path, encoding: str) -> None:
    text = BASIC.replace("Park", "Łąka" if encoding == "cp1250" else "Café")
    path = _write(tmp_path, text.encode(encoding))
    for source in (path, path.read_bytes(), io.BytesIO(path.read_bytes())):
        with pytest.raises(TallyError, match=r"line 8: not UTF-8 text \(byte 0x[0-9A-F]{2}") as err:
            read_pb(source)
        assert "Windows-1250" in str(err.value) and "iconv" in str(err.value)
    with pytest.raises(TallyError, match=r"^bad\.pb: line 8: not UTF-8"):
        read_pb(path)


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("a;600;2", "a;1/0;2", r"line 8: cost of project a is not a number: '1/0' \(division by zero"),
    ("budget;1000", "budget;1e999999999", r"line 3: META budget is not a number: .*exponent"),
    ("budget;1000", "budget;1" + "0" * 300, r"line 3: META budget is not a number: .*too long"),
    ("a;600;2", "a;6" + "0" * 16 + ";2", r"line 8: cost of project a: 6000+ is beyond the largest "
                                          r"amount the engine counts \(10\^15\)"),
    ("budget;1000", "budget;1000.0000001", r"line 3: META budget: .* finer than the engine counts"),
    ("rule;greedy", "rule;greedy\nnum_votes;4", r"line 15: META num_votes announces 4 ballots but "
                                                r"the file has 3 \(is the file cut off"),
    ("rule;greedy", "rule;greedy\nnum_projects;3", r"META num_projects announces 3 projects"),
    ("3;\n", "3;\nthis is not a ballot\n", r"line 15: 1 fields but the VOTES header has 2 "
                                            r"\(a stray line"),
    ("3;\n", "3;\n2;b\n", r"line 15: voter 2 appears twice"),
])
def test_bad_numbers_counts_and_lines_are_refused(old: str, new: str, expected: str) -> None:
    assert old in BASIC
    with pytest.raises(TallyError, match=expected):
        read_pb(BASIC.replace(old, new, 1))


def test_file_cut_in_half_is_refused(tmp_path: Path) -> None:
    text = BASIC.replace("rule;greedy", "rule;greedy\nnum_votes;3")
    assert read_pb(text).profile.n_voters == 3
    cut = text[: text.index("2;a")]
    with pytest.raises(TallyError, match=r"cut\.pb: line \d+: META num_votes announces 3 ballots "
                                         r"but the file has 1"):
        read_pb(_write(tmp_path, cut, "cut.pb"))
    with_age = BASIC.replace("voter_id;vote", "voter_id;vote;age").replace("1;a,b\n", "1;a,b;40\n")
    with pytest.raises(TallyError, match=r"line 13: 2 fields but the VOTES header has 3"):
        read_pb(with_age)  # the row of voter 2 lost its last field


def test_hostile_amounts_are_refused_by_the_model_too() -> None:
    from pb.tally import Project
    with pytest.raises(TallyError, match=r"budget: .*beyond the largest amount"):
        Election(budget=10**300, projects=(Project("a", 1),))
    with pytest.raises(TallyError, match=r"cost of project a: .*beyond"):
        Election(budget=10, projects=(Project("a", 10**16),))


SCORING = BASIC.replace("approval", "scoring").replace("voter_id;vote\n", "voter_id;vote;points\n") \
    .replace("1;a,b\n", "1;a,b;4,1\n").replace("2;a\n", "2;b;3\n").replace("3;\n", "3;none;none\n")


def test_reads_the_scoring_vote_type() -> None:
    e = read_pb(SCORING)
    assert e.vote_type is VoteType.SCORING
    assert e.profile.scores == (4, 4) and e.profile.supporters == (1, 2)
    assert read_pb(write_pb(e)) == e


def test_empty_points_ballot_is_written_as_none(tmp_path: Path) -> None:
    cumulative = SCORING.replace("scoring", "cumulative")
    text = write_pb(read_pb(cumulative))
    assert "\n3;none;none\n" in text
    assert read_pb(text).ballots[2].projects == ()


def _ballot_type_files() -> dict[str, str]:
    ordinal = BASIC.replace("approval", "ordinal").replace("1;a,b\n", "1;b,a\n")
    return {"approval": BASIC, "choose-1": BASIC.replace("approval", "choose-1").replace("1;a,b", "1;b"),
            "cumulative": SCORING.replace("scoring", "cumulative"), "scoring": SCORING,
            "ordinal": ordinal,
            "knapsack": BASIC.replace("rule;greedy", "rule;greedy\nmax_sum_cost;1000")}


@pytest.mark.parametrize("kind", sorted(_ballot_type_files()))
def test_pabutools_reads_an_export_of_every_ballot_type(kind: str) -> None:
    election_mod = pytest.importorskip("pabutools.election.pabulib")
    ours = read_pb(_ballot_type_files()[kind])
    text = write_pb(ours, selected=["a"], anonymise=True)
    instance, profile = election_mod.parse_pabulib_from_string(text)
    assert instance.budget_limit == ours.budget
    assert sorted(p.name for p in instance) == ["a", "b"]
    assert len(profile) == len(ours.ballots) == 3
    names = [sorted(p.name for p in ballot) for ballot in profile]
    assert sorted(names) == sorted(sorted(ours.projects[i].id for i in b.projects) for b in ours.ballots)


def test_the_tally_command_refuses_a_hostile_file_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from pb.tally.__main__ import main

    hostile = BASIC.replace("budget;1000", "budget;1" + "0" * 303).replace("a;600", "a;6" + "0" * 302)
    path = _write(tmp_path, hostile, "hostile.pb")
    assert main([str(path)]) == 1
    err = capsys.readouterr().err
    assert "hostile.pb: line 8: cost of project a is not a number" in err and "Traceback" not in err
    path = _write(tmp_path, BASIC.encode("cp1250").replace(b"Park", b"P\xb3ark"), "cp1250.pb")
    assert main([str(path)]) == 1
    assert "cp1250.pb: line 8: not UTF-8 text" in capsys.readouterr().err
