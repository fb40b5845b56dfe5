"""Mijn buurtbudget, following proposals and areas, message choices and one-click unsubscribe."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from pb.db import db_session
from pb.extensions import csrf
from pb.forms.after_vote import NOTIFICATION_LABELS, NotificationForm
from pb.forms.rounds import ActionForm
from pb.models.notification import NotificationKind
from pb.services import areas as area_service
from pb.services import follows, my_overview, notifications
from pb.services import proposals as proposal_service
from pb.services import results as result_service
from pb.views import presenters
from pb.views.common import actor, safe_next, unit_of_work

bp = Blueprint("mine", __name__)

_RECEIPTS = "vote_receipts"  # the voting pages keep {round id: receipt code} in the voter's cookie


def _settings_form() -> NotificationForm:
    choices = notifications.choices_of(db_session(), actor())
    if request.method == "POST":
        return NotificationForm()
    form = NotificationForm(formdata=None)
    form.language.data = choices.language
    for kind in NotificationKind:
        getattr(form, kind.value).data = choices.wanted[kind]
    return form


@bp.route("/mijn", methods=["GET", "POST"])
@login_required
def overview() -> str | Response:
    """My proposals and their status, what I support or follow, where I voted, my message choices."""
    s = db_session()
    me = actor()
    form = _settings_form()
    if request.method == "POST" and form.validate_on_submit():
        with unit_of_work(form) as work:
            notifications.update_choices(s, me, language=form.language.data or "nl",
                                         wanted={k: bool(getattr(form, k.value).data) for k in NotificationKind})
        if not work.failed:
            flash(_("Uw keuzes voor berichten zijn opgeslagen."), "success")
            return redirect(url_for("mine.overview"))
    mine = my_overview.my_proposals(s, me)
    backed = my_overview.supported(s, me)
    followed = follows.followed_proposals(s, me)
    outcomes = result_service.proposal_outcomes(s, [*mine, *backed, *followed])
    return render_template(
        "mine/overview.html", form=form, mine=mine, backed=backed, followed=followed,
        followed_areas=follows.followed_areas(s, me), vote_rounds=my_overview.vote_rounds(s, me),
        outcome=lambda p: presenters.proposal_outcome(outcomes.get(p.id)),
        receipts=session.get(_RECEIPTS, {}), labels=NOTIFICATION_LABELS,
    )


def _follow_target(kind: str, target_id: int) -> dict[str, object]:
    s = db_session()
    if kind == "proposal":
        proposal = proposal_service.get_proposal(s, target_id)
        proposal_service.require_view(actor(), proposal)
        return {"proposal": proposal}
    area = area_service.get_area(s, target_id)
    return {"area": area}


def _follow_action(kind: str, target_id: int, *, on: bool) -> Response:
    form = ActionForm()
    target = _follow_target(kind, target_id)
    if form.validate_on_submit():
        with unit_of_work(flash_error=True) as work:
            if on:
                follows.follow(db_session(), actor(), **target)  # type: ignore[arg-type]
            else:
                follows.unfollow(db_session(), actor(), **target)  # type: ignore[arg-type]
        if not work.failed:
            flash(_("U volgt dit nu. U krijgt bericht als er iets verandert.") if on
                  else _("U volgt dit niet meer."), "success")
    return redirect(safe_next(request.form.get("next"), "mine.overview"))


@bp.post("/follow/<any(proposal, area):kind>/<int:target_id>")
@login_required
def follow(kind: str, target_id: int) -> Response:
    """Follow a proposal or an area."""
    return _follow_action(kind, target_id, on=True)


@bp.post("/unfollow/<any(proposal, area):kind>/<int:target_id>")
@login_required
def unfollow(kind: str, target_id: int) -> Response:
    """Stop following a proposal or an area."""
    return _follow_action(kind, target_id, on=False)


@bp.get("/unsubscribe/<token>")
def unsubscribe_confirm(token: str) -> str | tuple[str, int]:
    """The unsubscribe link from an e-mail: a page with one button (a GET never changes anything)."""
    found = notifications.read_unsubscribe_token(db_session(), token)
    if found is None:
        return render_template("mine/unsubscribe.html", invalid=True), 404
    _user, kind = found
    return render_template("mine/unsubscribe.html", invalid=False, token=token, label=NOTIFICATION_LABELS[kind.value],
                           done=False)


@bp.post("/unsubscribe/<token>")
@csrf.exempt  # RFC 8058 one-click: the mail program posts without a form; the signed token is the proof
def unsubscribe(token: str) -> str | tuple[str, int]:
    """Turn one kind of message off (the button on the page, or the mail program's one-click POST)."""
    s = db_session()
    found = notifications.read_unsubscribe_token(s, token)
    if found is None:
        abort(404)
    user, kind = found
    with unit_of_work():
        notifications.unsubscribe(s, user, kind)
    return render_template("mine/unsubscribe.html", invalid=False, token=token, label=NOTIFICATION_LABELS[kind.value],
                           done=True)
