"""Buurtbudget's pure voting-rule engine: exact, explainable, fast; no web stack.

Public API::

    from pb.tally import read_pb, write_pb, tally, TieBreak, TallyError
    election = read_pb("file.pb")
    outcome = tally(election, rule="equalshares/add1", tie_break=TieBreak("lower-cost"))
    outcome.selected_ids, outcome.spent, outcome.to_dict()
"""

from __future__ import annotations

from pb.tally.errors import TallyError
from pb.tally.model import Ballot, Cap, Election, Profile, Project, VoteType
from pb.tally.outcome import Decision, Outcome
from pb.tally.pabulib import read_pb, write_pb
from pb.tally.rules import RULES, get_rule, tally
from pb.tally.tiebreak import TieBreak

__all__ = ["RULES", "Ballot", "Cap", "Decision", "Election", "Outcome", "Profile", "Project",
           "TallyError", "TieBreak", "VoteType", "get_rule", "read_pb", "tally", "write_pb"]
