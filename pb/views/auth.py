"""Accounts: sign up, confirm, log in and out, reset a password, my account."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from pb.db import db_session
from pb.errors import DomainError
from pb.extensions import limiter
from pb.forms.auth import EmailForm, LoginForm, LogoutForm, NewPasswordForm, SignUpForm
from pb.services import accounts
from pb.views.common import actor, error_onto_form, fresh_session, log_out, safe_next

bp = Blueprint("auth", __name__)


def _auth_limit() -> str:
    return str(current_app.config["RATELIMIT_AUTH"])


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def signup() -> str | Response:
    """Create an account; a confirmation link goes out by e-mail."""
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            accounts.sign_up(
                db_session(), email=form.email.data or "", name=form.name.data or "",
                password=form.password.data or "",
            )
        except DomainError as exc:
            error_onto_form(form, exc)
        else:
            db_session().commit()
            return redirect(url_for("auth.check_mail"))
    return render_template("auth/signup.html", form=form)


@bp.get("/register/check-mail")
def check_mail() -> str:
    """Tell the new user to look in their mailbox."""
    return render_template("auth/check_mail.html")


@bp.get("/confirm/<token>")
def confirm(token: str) -> str:
    """Show the confirmation button (a GET never writes; mail scanners follow links)."""
    return render_template("auth/confirm.html", token=token, form=LogoutForm())


@bp.post("/confirm/<token>")
def confirm_post(token: str) -> str | Response:
    """Confirm the e-mail address in the link."""
    form = LogoutForm()
    if not form.validate_on_submit():
        return render_template("auth/confirm.html", token=token, form=form), 400  # type: ignore[return-value]
    try:
        accounts.confirm_email(db_session(), token)
    except DomainError as exc:
        return render_template("auth/token_invalid.html", message=exc.message, resend=True), 400  # type: ignore[return-value]
    db_session().commit()
    flash(_("Uw e-mailadres is bevestigd. U kunt nu inloggen."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/confirm/resend", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def resend_confirmation() -> str | Response:
    """Send a new confirmation link (same answer whether or not the address is known)."""
    form = EmailForm()
    if form.validate_on_submit():
        user = accounts.find_by_login(db_session(), form.email.data or "")
        if user is not None:
            accounts.send_confirmation(db_session(), user)
        db_session().commit()
        return redirect(url_for("auth.check_mail"))
    return render_template("auth/resend.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def login() -> str | Response:
    """Log in; a new session starts so a cookie from before the login is worthless."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(
                db_session(), login=form.login.data or "", password=form.password.data or ""
            )
        except DomainError as exc:
            error_onto_form(form, exc)
        else:
            # A new server-side session token: any cookie from an earlier login stops working.
            accounts.renew_session_token(db_session(), user)
            db_session().commit()
            fresh_session()
            login_user(user)
            flash(_("Welkom, %(name)s. U bent ingelogd.", name=user.name), "success")
            return redirect(safe_next(form.next.data))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout() -> Response:
    """Log out and forget the session."""
    form = LogoutForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            # The server forgets this login: a copy of the cookie is worthless from now on.
            accounts.renew_session_token(db_session(), actor())
            db_session().commit()
        log_out()
        flash(_("U bent uitgelogd."), "success")
    return redirect(url_for("public.home"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def forgot_password() -> str | Response:
    """Ask for a reset link (same answer whether or not the address is known)."""
    form = EmailForm()
    if form.validate_on_submit():
        accounts.request_password_reset(db_session(), form.email.data or "")
        db_session().commit()
        return render_template("auth/reset_sent.html")
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def reset_password(token: str) -> str | Response:
    """Choose a new password from a reset link."""
    try:
        accounts.check_reset_token(db_session(), token)
    except DomainError as exc:
        return render_template("auth/token_invalid.html", message=exc.message, resend=False), 400  # type: ignore[return-value]
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(db_session(), token, form.password.data or "")
        except DomainError as exc:
            error_onto_form(form, exc)
        else:
            db_session().commit()
            logout_user()
            flash(_("Uw nieuwe wachtwoord is opgeslagen. Log in met uw nieuwe wachtwoord."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


@bp.get("/account")
@login_required
def account() -> str:
    """My account: what is stored about me."""
    return render_template("auth/account.html", user=actor())
