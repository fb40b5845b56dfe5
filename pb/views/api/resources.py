"""The ``/api/v1`` blueprint: thin read-only views over :mod:`pb.services.open_data`.

Every view is documented with :func:`pb.views.api.spec.operation`, from which the OpenAPI
document is generated. No view shows a number that depends on votes before publication: the
result views read published versions only and answer 404 before (THREAT #9).
"""

from __future__ import annotations


from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from pb.db import db_session, utcnow
from pb.extensions import limiter
from pb.models.proposal import ProposalStatus
from pb.services import exports, open_data
from pb.services import rounds as round_service
from pb.services.proposals import status_history
from pb.views.api import schemas
from pb.errors_web import problem
from pb.views.api.http import BadQuery, api_headers, json_response, page_body, query
from pb.views.api.spec import openapi_document, operation
from pb.views.caching import IMMUTABLE, NEWEST_VERSION, SHORT, conditional

bp = Blueprint("api", __name__, url_prefix="/api/v1")
DEFAULT_API_LIMIT = "300 per minute"


def _api_limit() -> str:
    return str(current_app.config.get("RATELIMIT_API", DEFAULT_API_LIMIT))


# One budget per client address for the whole API (Flask-Limiter keys on the client address,
# which PB_PROXY_FIX makes the real one behind a proxy).
limiter.shared_limit(_api_limit, scope="api")(bp)


@bp.after_app_request
def _api_headers(response: Response) -> Response:
    """Version and rate-limit headers on every /api/v1 answer, its 404s and 405s included."""
    return api_headers(response) if request.path.startswith("/api/v1/") else response


@bp.errorhandler(BadQuery)
def _bad_query(exc: BadQuery) -> Response:
    params = [{"name": name, "reason": "; ".join(map(str, reasons)) if isinstance(reasons, list) else str(reasons)}
              for name, reasons in sorted(exc.errors.items())]
    return problem(400, _("Een of meer parameters zijn ongeldig."), invalidParams=params)


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document of this API."""
    response = Response(openapi_document(current_app), mimetype="application/json")
    return conditional(response, cache_control=NEWEST_VERSION)


# --- areas ----------------------------------------------------------------------------------------

@bp.get("/areas")
@operation(_l("Gebieden"), schemas.AreaPage, query=schemas.PageQuery, tag="areas")
def areas() -> Response:
    """Every area, by id."""
    args = query(schemas.PageQuery)
    page = open_data.areas_page(db_session(), after=args["after"], limit=args["limit"])
    body, links = page_body(page, [schemas.serialize_area(a) for a in page.items], "api.areas", args)
    return json_response(body, cache_control=SHORT, links=links)


@bp.get("/areas/<slug>")
@operation(_l("Eén gebied"), schemas.AreaOut, tag="areas")
def area(slug: str) -> Response:
    """One area."""
    return json_response(schemas.serialize_area(open_data.area_by_slug(db_session(), slug)), cache_control=SHORT)


# --- rounds ---------------------------------------------------------------------------------------

@bp.get("/rounds")
@operation(_l("Rondes, met fases, data, budget, stemregels en telregel"), schemas.RoundPage,
           query=schemas.RoundsQuery, tag="rounds")
def rounds() -> Response:
    """Every round, by id; ``area`` (a slug) filters."""
    args = query(schemas.RoundsQuery)
    page = open_data.rounds_page(db_session(), area_slug=args.get("area"), after=args["after"], limit=args["limit"])
    now = utcnow()
    body, links = page_body(page, [schemas.serialize_round(r, now) for r in page.items], "api.rounds", args)
    return json_response(body, cache_control=SHORT, links=links)


@bp.get("/rounds/<int:round_id>", endpoint="round")
@operation(_l("Eén ronde"), schemas.RoundOut, tag="rounds")
def one_round(round_id: int) -> Response:
    """One round."""
    rnd = round_service.get_round(db_session(), round_id)
    return json_response(schemas.serialize_round(rnd, utcnow()), cache_control=SHORT)


# --- proposals ------------------------------------------------------------------------------------

@bp.get("/proposals")
@operation(_l("Plannen: openbare velden, status en kosten"), schemas.ProposalPage, query=schemas.ProposalsQuery,
           tag="proposals")
def proposals() -> Response:
    """Public proposals, by id; ``round`` and ``status`` filter."""
    args = query(schemas.ProposalsQuery)
    session = db_session()
    status = ProposalStatus(args["status"]) if args.get("status") else None
    page = open_data.proposals_page(session, round_id=args.get("round"), status=status, after=args["after"],
                                    limit=args["limit"])
    counts = open_data.support_counts(session, page.items)
    items = [schemas.serialize_proposal(p, counts.get(p.id, 0)) for p in page.items]
    body, links = page_body(page, items, "api.proposals", args)
    return json_response(body, cache_control=SHORT, links=links)


@bp.get("/proposals/<int:proposal_id>")
@operation(_l("Eén plan, met de openbare geschiedenis"), schemas.ProposalDetailOut, tag="proposals")
def proposal(proposal_id: int) -> Response:
    """One public proposal with its public history."""
    session = db_session()
    p = open_data.public_proposal(session, proposal_id)
    body = schemas.serialize_proposal_detail(p, open_data.support_counts(session, [p]).get(p.id, 0),
                                             status_history(session, p))
    return json_response(body, cache_control=SHORT)


# --- published results ----------------------------------------------------------------------------

@bp.get("/results")
@operation(_l("Alle gepubliceerde uitslagen, met ballots.pb, results.json, SHA-256 en ketenkop"),
           schemas.PublishedPage, query=schemas.ResultsQuery, tag="results")
def results() -> Response:
    """Every published round of every area with its newest version."""
    args = query(schemas.ResultsQuery)
    page = open_data.published_page(db_session(), after=args["after"], limit=args["limit"])
    items = [schemas.serialize_published(rnd, result) for rnd, result in page.items]
    body, links = page_body(page, items, "api.results", args)
    return json_response(body, cache_control=SHORT, links=links)


@bp.get("/rounds/<int:round_id>/results")
@operation(_l("Gepubliceerde versies van de uitslag van een ronde"), schemas.VersionsOut, tag="results")
def round_results(round_id: int) -> Response:
    """The published versions of a round's result (404 before publication)."""
    rnd, versions = open_data.published_versions(db_session(), round_id)
    return json_response(schemas.serialize_versions(rnd, versions), cache_control=SHORT)


@bp.get("/rounds/<int:round_id>/results/<int:version>")
@operation(_l("Eén gepubliceerde versie van de uitslag (zoals results.json)"), schemas.ResultOut, tag="results",
           immutable=True)
def round_result(round_id: int, version: int) -> Response:
    """One published version: the same content as that version's ``results.json`` (immutable)."""
    rnd, result = open_data.published_version(db_session(), round_id, version)
    return json_response(exports.results_json(rnd, result), cache_control=IMMUTABLE)


# --- small grants ---------------------------------------------------------------------------------

@bp.get("/grants")
@operation(_l("Het register van kleine aanvragen uit het buurtbudget"), schemas.GrantPage, query=schemas.GrantsQuery,
           tag="grants")
def grants() -> Response:
    """Every application for a small grant, by id; ``area`` (a slug) filters."""
    args = query(schemas.GrantsQuery)
    session = db_session()
    page = open_data.grants_page(session, area_slug=args.get("area"), after=args["after"], limit=args["limit"])
    backing = open_data.backing_counts(session, page.items)
    tracked = open_data.grant_trackings(session, page.items)
    items = [schemas.serialize_grant(a, backing.get(a.id, 0), tracked.get(a.id)) for a in page.items]
    body, links = page_body(page, items, "api.grants", args)
    return json_response(body, cache_control=SHORT, links=links)


@bp.get("/grants/<int:grant_id>")
@operation(_l("Eén aanvraag uit het register"), schemas.GrantOut, tag="grants")
def grant(grant_id: int) -> Response:
    """One application for a small grant."""
    session = db_session()
    application = open_data.public_grant(session, grant_id)
    body = schemas.serialize_grant(application, open_data.backing_counts(session, [application]).get(grant_id, 0),
                                   open_data.grant_trackings(session, [application]).get(grant_id))
    return json_response(body, cache_control=SHORT)


# --- implementation tracking ----------------------------------------------------------------------

@bp.get("/implementations")
@operation(_l("Wat er gebeurde met het geld: uitvoering van gekozen projecten en kleine aanvragen"),
           schemas.ImplementationPage, query=schemas.ImplementationsQuery, tag="implementations")
def implementations() -> Response:
    """Every tracked project and small grant, by id; ``area``, ``year`` and ``kind`` filter."""
    args = query(schemas.ImplementationsQuery)
    kind = args.get("kind")
    page = open_data.implementations_page(db_session(), area_slug=args.get("area"), year=args.get("year"),
                                          small_grants=None if kind is None else kind == "small_grant",
                                          after=args["after"], limit=args["limit"])
    items = [schemas.serialize_implementation(i) for i in page.items]
    body, links = page_body(page, items, "api.implementations", args)
    return json_response(body, cache_control=SHORT, links=links)


@bp.get("/implementations/<int:implementation_id>")
@operation(_l("Eén gevolgd project of kleine aanvraag"), schemas.ImplementationOut, tag="implementations")
def implementation(implementation_id: int) -> Response:
    """One tracked project or small grant: status, cost and milestones."""
    return json_response(schemas.serialize_implementation(open_data.implementation_by_id(db_session(),
                                                                                        implementation_id)),
                         cache_control=SHORT)
