"""Serializers of the open-data API, in one place.

Each ``serialize_*`` function turns domain objects into a plain dict and passes it through the
marshmallow schema that the OpenAPI document is generated from, so a field that is not in the
document never reaches a client. Labels come in Dutch and English (``{"nl": ..., "en": ...}``)
so that responses do not vary by language and can be cached.

A new kind of open data adds a schema and a ``serialize_*`` function here and a view in
:mod:`pb.views.api.resources`; nothing else changes (the small-grants register and implementation
tracking were added that way).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import url_for
from flask_babel import force_locale
from marshmallow import EXCLUDE, Schema, fields, validate

from pb import labels
from pb.db import MAX_ID
from pb.models.area import Area
from pb.models.audit import AuditEntry
from pb.models.grant import ApplicationStatus, GrantApplication
from pb.models.implementation import Implementation, ImplementationStatus
from pb.models.proposal import Proposal, ProposalStatus
from pb.models.result import RoundResult
from pb.models.round import BudgetRound, Phase
from pb.services import accountability, grant_applications
from pb.services import rounds as round_service
from pb.services.open_data import MAX_PAGE_SIZE
from pb.services.proposals import PUBLIC_STATUSES
from pb.views.presenters import plain_rules

CURRENCY = "EUR"


def _both(text: Callable[[], object]) -> dict[str, str]:
    """A text in Dutch and in English."""
    out = {}
    for lang in ("nl", "en"):
        with force_locale(lang):
            out[lang] = str(text())
    return out


def _labelled(ident: str, label: Callable[[str], str]) -> dict[str, Any]:
    return {"id": ident, "label": _both(lambda: label(ident))}


def _link(endpoint: str, **values: Any) -> str:
    return url_for(endpoint, _external=True, **values)


# --- schemas: building blocks --------------------------------------------------------------------

class Translated(Schema):
    """A text in Dutch and English."""

    nl = fields.String(required=True)
    en = fields.String(required=True)


class Labelled(Schema):
    """A coded value with a plain-language label."""

    id = fields.String(required=True, metadata={"description": "Stable code."})
    label = fields.Nested(Translated, required=True)


class Href(Schema):
    """A link."""

    href = fields.Url(required=True)


class PageLinks(Schema):
    """Links of a page of a list (also sent as an HTTP ``Link`` header)."""

    self = fields.Nested(Href, required=True)
    first = fields.Nested(Href, required=True)
    next = fields.Nested(Href, metadata={"description": "Absent on the last page."})


class Problem(Schema):
    """An error as ``application/problem+json`` (RFC 9457)."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    instance = fields.String()
    invalidParams = fields.List(fields.Dict(keys=fields.String(), values=fields.String()))


# --- query parameters ----------------------------------------------------------------------------

class PageQuery(Schema):
    """Keyset paging: ``after`` is the id of the last item of the previous page."""

    class Meta:
        unknown = EXCLUDE

    after = fields.Integer(load_default=0, validate=validate.Range(0, MAX_ID),
                           metadata={"description": "Return items with an id above this one (the cursor)."})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_PAGE_SIZE),
                           metadata={"description": "Items per page."})


class RoundsQuery(PageQuery):
    """Filters for the rounds."""

    area = fields.String(validate=validate.Length(1, 64), metadata={"description": "Only rounds of this area (slug)."})


class ProposalsQuery(PageQuery):
    """Filters for the proposals."""

    round = fields.Integer(validate=validate.Range(1, MAX_ID),
                           metadata={"description": "Only proposals of this round."})
    status = fields.String(validate=validate.OneOf([s.value for s in PUBLIC_STATUSES]),
                           metadata={"description": "Only proposals with this status."})


class GrantsQuery(PageQuery):
    """Filters for the small-grants register."""

    area = fields.String(validate=validate.Length(1, 64),
                         metadata={"description": "Only applications in this area (slug)."})


class ImplementationsQuery(PageQuery):
    """Filters for implementation tracking."""

    area = fields.String(validate=validate.Length(1, 64), metadata={"description": "Only this area (slug)."})
    year = fields.Integer(validate=validate.Range(2000, 2100),
                          metadata={"description": "Only money granted in this year."})
    kind = fields.String(validate=validate.OneOf(["project", "small_grant"]),
                         metadata={"description": "`project`: chosen in a round; `small_grant`: a small grant."})


class ResultsQuery(PageQuery):
    """Paging of the index of published results."""

    limit = fields.Integer(load_default=MAX_PAGE_SIZE, validate=validate.Range(1, MAX_PAGE_SIZE),
                           metadata={"description": "Items per page."})


# --- areas ---------------------------------------------------------------------------------------

class AreaRef(Schema):
    """An area, referred to from another resource."""

    slug = fields.String(required=True)
    name = fields.String(required=True)
    href = fields.Url(required=True)


class AreaLinks(Schema):
    """Links of an area."""

    self = fields.Url(required=True)
    html = fields.Url(required=True)
    rounds = fields.Url(required=True)
    widget = fields.Url(required=True)


class AreaOut(Schema):
    """An area (buurt, wijk, dorp) with a budget of its own."""

    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    postcodes = fields.List(fields.String(), required=True)
    links = fields.Nested(AreaLinks, required=True)


def area_ref(area: Area) -> dict[str, Any]:
    """A short reference to an area."""
    return {"slug": area.slug, "name": area.name, "href": _link("api.area", slug=area.slug)}


def serialize_area(area: Area) -> dict[str, Any]:
    """An area."""
    return AreaOut().dump({
        "id": area.id, "slug": area.slug, "name": area.name, "description": area.description,
        "postcodes": [p.postcode for p in area.postcodes],
        "links": {"self": _link("api.area", slug=area.slug), "html": _link("public.area", slug=area.slug),
                  "rounds": _link("api.rounds", area=area.slug), "widget": _link("widgets.area", slug=area.slug)},
    })


# --- rounds --------------------------------------------------------------------------------------

class Money(Schema):
    """An amount in cents of ``currency``."""

    amount_cents = fields.Integer(required=True)
    currency = fields.String(required=True)


class PhaseSpan(Schema):
    """One phase of a round with its dates."""

    phase = fields.Nested(Labelled, required=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True, allow_none=True)
    state = fields.String(required=True, validate=validate.OneOf(["past", "current", "future"]))


class BallotRules(Schema):
    """How residents fill in their ballot, and who may vote."""

    type = fields.Nested(Labelled, required=True)
    min_projects = fields.Integer(required=True, allow_none=True)
    max_projects = fields.Integer(required=True, allow_none=True)
    min_budget_share_pct = fields.Integer(required=True, allow_none=True)
    points_total = fields.Integer(required=True, allow_none=True)
    points_max_per_project = fields.Integer(required=True, allow_none=True)
    min_age = fields.Integer(required=True, allow_none=True)
    max_age = fields.Integer(required=True, allow_none=True)
    allow_revote = fields.Boolean(required=True)


class Neighbourhood(Schema):
    """A part of the area, with an optional upper bound on what it may receive."""

    name = fields.String(required=True)
    budget_cents = fields.Integer(required=True, allow_none=True)


class RoundLinks(Schema):
    """Links of a round."""

    self = fields.Url(required=True)
    html = fields.Url(required=True)
    proposals = fields.Url(required=True)
    results = fields.Url(required=True, allow_none=True, metadata={"description": "Null until published."})


class RoundOut(Schema):
    """A budget round: phases, dates, budget, ballot rules and counting rule."""

    id = fields.Integer(required=True)
    area = fields.Nested(AreaRef, required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    phase = fields.Nested(Labelled, required=True)
    phases = fields.List(fields.Nested(PhaseSpan), required=True)
    proposals_open_at = fields.AwareDateTime(required=True)
    proposals_close_at = fields.AwareDateTime(required=True)
    support_close_at = fields.AwareDateTime(required=True)
    review_close_at = fields.AwareDateTime(required=True)
    voting_open_at = fields.AwareDateTime(required=True)
    voting_close_at = fields.AwareDateTime(required=True)
    results_published_at = fields.AwareDateTime(required=True, allow_none=True)
    budget = fields.Nested(Money, required=True)
    support_threshold = fields.Integer(required=True)
    ballot = fields.Nested(BallotRules, required=True)
    counting_rule = fields.Nested(Labelled, required=True)
    tie_break = fields.Nested(Labelled, required=True)
    rules_text = fields.Nested(Schema.from_dict({"nl": fields.List(fields.String(), required=True),
                                                 "en": fields.List(fields.String(), required=True)},
                                                name="RulesText"), required=True,
                               metadata={"description": "The rules as short plain-language sentences."})
    themes = fields.List(fields.String(), required=True)
    neighbourhoods = fields.List(fields.Nested(Neighbourhood), required=True)
    links = fields.Nested(RoundLinks, required=True)


def serialize_round(rnd: BudgetRound, now: Any) -> dict[str, Any]:
    """A round as seen at ``now``."""
    phase = rnd.phase_at(now)
    phases = [{"phase": _labelled(item["phase"].value, labels.phase_label), "starts_at": item["start"],
               "ends_at": item["end"], "state": item["state"]} for item in round_service.timeline(rnd, now)]
    return RoundOut().dump({
        "id": rnd.id, "area": area_ref(rnd.area), "title": rnd.title, "description": rnd.description,
        "phase": _labelled(phase.value, labels.phase_label), "phases": phases,
        "proposals_open_at": rnd.proposals_open_at, "proposals_close_at": rnd.proposals_close_at,
        "support_close_at": rnd.support_close_at, "review_close_at": rnd.review_close_at,
        "voting_open_at": rnd.voting_open_at, "voting_close_at": rnd.voting_close_at,
        "results_published_at": rnd.results_published_at,
        "budget": {"amount_cents": rnd.budget_cents, "currency": CURRENCY},
        "support_threshold": rnd.support_threshold,
        "ballot": {"type": _labelled(rnd.ballot_type.value, labels.ballot_type_label), "min_projects": rnd.min_projects,
                   "max_projects": rnd.max_projects, "min_budget_share_pct": rnd.min_budget_share_pct,
                   "points_total": rnd.points_total, "points_max_per_project": rnd.points_max_per_project,
                   "min_age": rnd.min_age, "max_age": rnd.max_age, "allow_revote": rnd.allow_revote},
        "counting_rule": _labelled(rnd.counting_rule.value, labels.counting_rule_label),
        "tie_break": _labelled(rnd.tie_break.value, labels.tie_break_label),
        "rules_text": _both_list(lambda: plain_rules(rnd)),
        "themes": [t.name for t in rnd.themes],
        "neighbourhoods": [{"name": n.name, "budget_cents": n.budget_cents} for n in rnd.neighbourhoods],
        "links": {"self": _link("api.round", round_id=rnd.id), "html": _link("rounds.round_page", round_id=rnd.id),
                  "proposals": _link("api.proposals", round=rnd.id),
                  "results": _link("api.round_results", round_id=rnd.id) if phase == Phase.RESULTS else None},
    })


def _both_list(texts: Callable[[], list[str]]) -> dict[str, list[str]]:
    out = {}
    for lang in ("nl", "en"):
        with force_locale(lang):
            out[lang] = [str(t) for t in texts()]
    return out


# --- proposals -----------------------------------------------------------------------------------

class CostLineOut(Schema):
    """One line of the author's cost estimate."""

    description = fields.String(required=True)
    amount_cents = fields.Integer(required=True)


class HistoryEntry(Schema):
    """A public change: when, what, the changed fields before and after, and why."""

    at = fields.AwareDateTime(required=True)
    action = fields.Nested(Labelled, required=True)
    before = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), required=True)
    after = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), required=True)
    reason = fields.String(required=True)


class ProposalLinks(Schema):
    """Links of a proposal."""

    self = fields.Url(required=True)
    html = fields.Url(required=True)
    round = fields.Url(required=True)
    photo = fields.Url(required=True, allow_none=True)


class PointOut(Schema):
    """A place on the map in WGS84 degrees, set by the proposal's author."""

    latitude = fields.Float(required=True)
    longitude = fields.Float(required=True)


class ProposalOut(Schema):
    """A resident initiative with its public fields, status and cost."""

    id = fields.Integer(required=True)
    round_id = fields.Integer(required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    description = fields.String(required=True)
    location = fields.String(required=True)
    point = fields.Nested(PointOut, required=True, allow_none=True,
                          metadata={"description": "Where the proposal is on the map; null when the author set no point."})
    theme = fields.String(required=True, allow_none=True)
    neighbourhood = fields.String(required=True, allow_none=True)
    status = fields.Nested(Labelled, required=True)
    submitted_at = fields.AwareDateTime(required=True, allow_none=True)
    estimated_cost_cents = fields.Integer(required=True, metadata={"description": "The author's estimate."})
    cost_cents = fields.Integer(required=True, allow_none=True, metadata={"description": "Cost set by the review."})
    ballot_cost_cents = fields.Integer(required=True, metadata={"description": "The cost that counts on the ballot."})
    currency = fields.String(required=True)
    cost_lines = fields.List(fields.Nested(CostLineOut), required=True)
    cost_reason = fields.String(required=True)
    review_reason = fields.String(required=True)
    merged_into_id = fields.Integer(required=True, allow_none=True)
    supports = fields.Integer(required=True,
                              metadata={"description": "Residents who support the proposal (draagvlak)."})
    links = fields.Nested(ProposalLinks, required=True)


class ProposalDetailOut(ProposalOut):
    """A proposal with its public history."""

    history = fields.List(fields.Nested(HistoryEntry), required=True)


def _proposal_dict(p: Proposal, supports: int) -> dict[str, Any]:
    return {
        "id": p.id, "round_id": p.round_id, "title": p.title, "summary": p.summary, "description": p.description,
        "location": p.location, "theme": p.theme.name if p.theme else None,
        "point": {"latitude": p.latitude, "longitude": p.longitude} if p.has_point else None,
        "neighbourhood": p.neighbourhood.name if p.neighbourhood else None,
        "status": _labelled(p.status.value, labels.proposal_status_label),
        "submitted_at": p.submitted_at, "estimated_cost_cents": p.estimated_cost_cents, "cost_cents": p.cost_cents,
        "ballot_cost_cents": p.ballot_cost_cents, "currency": CURRENCY,
        "cost_lines": [{"description": c.description, "amount_cents": c.amount_cents} for c in p.cost_lines],
        "cost_reason": p.cost_reason, "review_reason": p.review_reason,
        "merged_into_id": p.merged_into_id if p.status == ProposalStatus.MERGED else None,
        "supports": supports,
        "links": {"self": _link("api.proposal", proposal_id=p.id), "html": _link("rounds.proposal", proposal_id=p.id),
                  "round": _link("api.round", round_id=p.round_id),
                  "photo": _link("rounds.photo", proposal_id=p.id) if p.photo_filename else None},
    }


def serialize_proposal(p: Proposal, supports: int) -> dict[str, Any]:
    """A proposal in a list."""
    return ProposalOut().dump(_proposal_dict(p, supports))


def serialize_proposal_detail(p: Proposal, supports: int, history: list[AuditEntry]) -> dict[str, Any]:
    """A proposal with its public history."""
    rows = [{"at": e.at, "action": _labelled(e.action, labels.action_label), "before": e.before, "after": e.after,
             "reason": e.reason} for e in history]
    return ProposalDetailOut().dump({**_proposal_dict(p, supports), "history": rows})


# --- published results ---------------------------------------------------------------------------

class ResultRoundRef(Schema):
    """The round a result belongs to."""

    id = fields.Integer(required=True)
    title = fields.String(required=True)
    area = fields.String(required=True)


class ResultProject(Schema):
    """One project of a published result."""

    id = fields.Integer(required=True, allow_none=True, metadata={"description": "Proposal id."})
    external_id = fields.String(required=True, allow_none=True)
    pb_id = fields.String(required=True, metadata={"description": "Project id in ballots.pb."})
    name = fields.String(required=True)
    cost = fields.Float(required=True)
    score = fields.Raw(required=True, metadata={"description": "Exact score (integer or fraction text)."})
    selected = fields.Boolean(required=True)
    reason = fields.String(required=True)
    reason_en = fields.String(required=True)


class ResultOut(Schema):
    """One published version of a round's result: the same content as the round's ``results.json``."""

    round = fields.Nested(ResultRoundRef, required=True)
    version = fields.Integer(required=True)
    published_at = fields.String(required=True)
    correction_reason = fields.String(required=True, allow_none=True)
    rule = fields.String(required=True)
    tie_break = fields.String(required=True)
    budget = fields.Float(required=True)
    spent = fields.Float(required=True)
    currency = fields.String(required=True)
    ballots = fields.Integer(required=True)
    ballots_online = fields.Integer(required=True)
    ballots_paper = fields.Integer(required=True)
    ballots_sha256 = fields.String(required=True)
    chain_head = fields.String(required=True)
    selected = fields.List(fields.String(), required=True)
    projects = fields.List(fields.Nested(ResultProject), required=True)


class VersionLinks(Schema):
    """Downloads of one published version (immutable)."""

    self = fields.Url(required=True)
    ballots_pb = fields.Url(required=True)
    results_json = fields.Url(required=True)


class VersionOut(Schema):
    """One published version, without its content."""

    version = fields.Integer(required=True)
    published_at = fields.AwareDateTime(required=True)
    correction_reason = fields.String(required=True, allow_none=True)
    ballots_sha256 = fields.String(required=True)
    chain_head = fields.String(required=True)
    links = fields.Nested(VersionLinks, required=True)


class VersionsOut(Schema):
    """Every published version of a round's result, oldest first."""

    round_id = fields.Integer(required=True)
    area = fields.Nested(AreaRef, required=True)
    title = fields.String(required=True)
    versions = fields.List(fields.Nested(VersionOut), required=True)


class PublishedLinks(Schema):
    """Where to get a published round's files."""

    html = fields.Url(required=True)
    ballots_pb = fields.Url(required=True,
                            metadata={"description": "The anonymised ballots (pabulib), newest version."})
    results_json = fields.Url(required=True)
    results_csv = fields.Url(required=True)
    versions = fields.Url(required=True)
    version = fields.Url(required=True, metadata={"description": "This version in the API (immutable)."})
    ballots_pb_version = fields.Url(required=True, metadata={"description": "This version's ballots.pb (immutable)."})


class PublishedOut(Schema):
    """A published round in the index: newest version, file hash and chain head."""

    round_id = fields.Integer(required=True)
    title = fields.String(required=True)
    area = fields.Nested(AreaRef, required=True)
    version = fields.Integer(required=True)
    published_at = fields.AwareDateTime(required=True)
    correction_reason = fields.String(required=True, allow_none=True)
    rule = fields.String(required=True)
    ballots_sha256 = fields.String(required=True)
    chain_head = fields.String(required=True)
    links = fields.Nested(PublishedLinks, required=True)


def _version_links(rnd: BudgetRound, result: RoundResult) -> dict[str, str]:
    return {"self": _link("api.round_result", round_id=rnd.id, version=result.version),
            "ballots_pb": _link("results.ballots_pb_version", round_id=rnd.id, version=result.version),
            "results_json": _link("results.results_json_version", round_id=rnd.id, version=result.version)}


def serialize_published(rnd: BudgetRound, result: RoundResult) -> dict[str, Any]:
    """One entry of the index of published results."""
    links = _version_links(rnd, result)
    return PublishedOut().dump({
        "round_id": rnd.id, "title": rnd.title, "area": area_ref(rnd.area), "version": result.version,
        "published_at": result.published_at, "correction_reason": result.correction_reason or None,
        "rule": result.rule, "ballots_sha256": result.ballots_sha256, "chain_head": result.chain_head,
        "links": {"html": _link("results.show", round_id=rnd.id),
                  "ballots_pb": _link("results.ballots_pb", round_id=rnd.id),
                  "results_json": _link("results.results_json", round_id=rnd.id),
                  "results_csv": _link("results.results_csv", round_id=rnd.id),
                  "versions": _link("api.round_results", round_id=rnd.id),
                  "version": links["self"], "ballots_pb_version": links["ballots_pb"]},
    })


def serialize_versions(rnd: BudgetRound, versions: list[RoundResult]) -> dict[str, Any]:
    """The published versions of one round."""
    return VersionsOut().dump({
        "round_id": rnd.id, "area": area_ref(rnd.area), "title": rnd.title,
        "versions": [{"version": r.version, "published_at": r.published_at,
                      "correction_reason": r.correction_reason or None, "ballots_sha256": r.ballots_sha256,
                      "chain_head": r.chain_head, "links": _version_links(rnd, r)} for r in versions],
    })


# --- small grants --------------------------------------------------------------------------------

class GrantLinks(Schema):
    """Links of an application in the register."""

    self = fields.Url(required=True)
    html = fields.Url(required=True)
    register = fields.Url(required=True, metadata={"description": "The area's register (page)."})
    implementation = fields.Url(required=True, allow_none=True,
                                metadata={"description": "What became of it; null unless granted."})


class GrantOut(Schema):
    """An application for a small grant, as the public register shows it (never addresses, e-mail
    or who backed it; the applicant's name only when they chose so)."""

    id = fields.Integer(required=True)
    area = fields.Nested(AreaRef, required=True)
    title = fields.String(required=True)
    applicant = fields.String(required=True, metadata={"description": "Organisation, or the resident's name "
                                                                      "when they made it public; else empty."})
    purpose = fields.String(required=True)
    agenda_item = fields.String(required=True, allow_none=True)
    status = fields.Nested(Labelled, required=True)
    submitted_at = fields.AwareDateTime(required=True)
    decided_at = fields.AwareDateTime(required=True, allow_none=True)
    requested_cents = fields.Integer(required=True)
    granted_cents = fields.Integer(required=True, allow_none=True)
    returned_cents = fields.Integer(required=True, metadata={"description": "Unspent or reclaimed money."})
    currency = fields.String(required=True)
    decision_reason = fields.String(required=True)
    conditions = fields.String(required=True)
    accountability = fields.Nested(Labelled, required=True, allow_none=True,
                                   metadata={"description": "The report's state; null unless granted."})
    backing = fields.Integer(required=True, metadata={"description": "Residents who back it (online and paper)."})
    assisted = fields.Boolean(required=True, metadata={"description": "Filed with help of the information point."})
    links = fields.Nested(GrantLinks, required=True)


def serialize_grant(a: GrantApplication, backing: int, tracking_id: int | None) -> dict[str, Any]:
    """An application of the register."""
    report = a.report
    if a.status != ApplicationStatus.GRANTED:
        report_state = None
    else:
        code = report.status.value if report is not None else "due"
        report_state = {"id": code, "label": _both(lambda: accountability.report_label(a))}
    return GrantOut().dump({
        "id": a.id, "area": area_ref(a.area), "title": a.title, "applicant": grant_applications.public_name(a),
        "purpose": a.description, "agenda_item": a.agenda_item.title if a.agenda_item else None,
        "status": _labelled(a.status.value, labels.grant_status_label),
        "submitted_at": a.submitted_at, "decided_at": a.decided_at, "requested_cents": a.requested_cents,
        "granted_cents": a.granted_cents, "returned_cents": report.reclaimed_cents if report is not None else 0,
        "currency": CURRENCY, "decision_reason": a.decision_reason, "conditions": a.conditions,
        "accountability": report_state, "backing": backing, "assisted": a.assisted_by_id is not None,
        "links": {"self": _link("api.grant", grant_id=a.id), "html": _link("grants.application", application_id=a.id),
                  "register": _link("grants.register", slug=a.area.slug),
                  "implementation": (_link("api.implementation", implementation_id=tracking_id)
                                     if tracking_id is not None else None)},
    })


# --- implementation tracking ---------------------------------------------------------------------

class MilestoneOut(Schema):
    """A step in carrying out a project."""

    date = fields.Date(required=True)
    text = fields.String(required=True)
    photo = fields.Url(required=True, allow_none=True)


class ImplementationLinks(Schema):
    """Links of a tracked project."""

    self = fields.Url(required=True)
    html = fields.Url(required=True, metadata={"description": "The area's page about the money of that year."})
    proposal = fields.Url(required=True, allow_none=True, metadata={"description": "The chosen proposal, if any."})
    grant = fields.Url(required=True, allow_none=True, metadata={"description": "The small grant, if any."})


class ImplementationOut(Schema):
    """What became of a funded project or small grant: status, budgeted and actual cost, milestones."""

    id = fields.Integer(required=True)
    area = fields.Nested(AreaRef, required=True)
    year = fields.Integer(required=True, metadata={"description": "The year the money was granted."})
    kind = fields.Nested(Labelled, required=True)
    title = fields.String(required=True)
    status = fields.Nested(Labelled, required=True)
    cancel_reason = fields.String(required=True)
    budgeted_cents = fields.Integer(required=True, metadata={"description": "Cost on the ballot, or the grant."})
    actual_cents = fields.Integer(required=True, allow_none=True, metadata={"description": "Null until known."})
    currency = fields.String(required=True)
    updated_at = fields.AwareDateTime(required=True)
    milestones = fields.List(fields.Nested(MilestoneOut), required=True)
    links = fields.Nested(ImplementationLinks, required=True)


def serialize_implementation(i: Implementation) -> dict[str, Any]:
    """A tracked project or small grant."""
    return ImplementationOut().dump({
        "id": i.id, "area": area_ref(i.area), "year": i.year,
        "kind": _labelled("small_grant" if i.is_small_grant else "project", labels.implementation_kind_label), "title": i.title,
        "status": _labelled(i.status.value, labels.implementation_status_label),
        "cancel_reason": i.cancel_reason if i.status == ImplementationStatus.CANCELLED else "",
        "budgeted_cents": i.budgeted_cents, "actual_cents": i.actual_cents, "currency": CURRENCY,
        "updated_at": i.updated_at,
        "milestones": [{"date": m.happened_on, "text": m.text,
                        "photo": _link("implementations.milestone_photo", milestone_id=m.id)
                        if m.photo_filename else None} for m in i.milestones],
        "links": {"self": _link("api.implementation", implementation_id=i.id),
                  "html": _link("implementations.money_year", slug=i.area.slug, year=i.year),
                  "proposal": _link("api.proposal", proposal_id=i.proposal_id) if i.proposal_id else None,
                  "grant": _link("api.grant", grant_id=i.grant_application_id) if i.grant_application_id else None},
    })


def page_schema(item: type[Schema], name: str) -> type[Schema]:
    """The envelope of a page of ``item``: ``items`` and ``_links``."""
    return Schema.from_dict({"items": fields.List(fields.Nested(item), required=True),
                             "_links": fields.Nested(PageLinks, required=True)}, name=name)


AreaPage = page_schema(AreaOut, "AreaPage")
RoundPage = page_schema(RoundOut, "RoundPage")
ProposalPage = page_schema(ProposalOut, "ProposalPage")
PublishedPage = page_schema(PublishedOut, "PublishedPage")
GrantPage = page_schema(GrantOut, "GrantPage")
ImplementationPage = page_schema(ImplementationOut, "ImplementationPage")
