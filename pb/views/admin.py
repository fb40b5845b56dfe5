"""Municipality administration: areas, managers, roles, the full audit log. Admins only."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from pb.db import db_session
from pb.errors import NotFound
from pb.forms import options
from pb.forms.admin import AreaForm, RemoveForm, RoleForm, WidgetOriginForm
from pb.models.area import Area
from pb.models.user import Role, User
from pb.services import accounts, widget_origins
from pb.services import areas as area_service
from pb.services import audit
from pb.views.common import actor, require_roles, unit_of_work

bp = Blueprint("admin", __name__, url_prefix="/admin")
AUDIT_PAGE_SIZE = 100


@bp.before_request
def _admins_only() -> None:
    require_roles(Role.ADMIN)


@bp.get("/")
def index() -> str:
    """Admin start page."""
    return render_template("admin/index.html")


@bp.get("/areas")
def areas() -> str:
    """All areas."""
    return render_template("admin/areas.html", areas=area_service.list_areas(db_session()))


def _area_form(area: Area | None) -> AreaForm:
    form = AreaForm(obj=area) if request.method == "GET" else AreaForm()
    form.manager_ids.choices = options(
        (u.id, f"{u.name} ({u.login_name})") for u in area_service.eligible_managers(db_session())
    )
    if request.method == "GET" and area is not None:
        form.postcodes.data = "\n".join(p.postcode for p in area.postcodes)
        form.manager_ids.data = [m.id for m in area.managers]
    return form


def _area_data(form: AreaForm) -> area_service.AreaData:
    return area_service.AreaData(
        name=form.name.data or "",
        slug=(form.slug.data or "").strip(),
        description=form.description.data or "",
        postcodes=area_service.parse_postcodes(form.postcodes.data or ""),
        manager_ids=list(form.manager_ids.data or []),
    )


@bp.route("/areas/new", methods=["GET", "POST"])
def new_area() -> str | Response:
    """Create an area."""
    form = _area_form(None)
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            area = area_service.create_area(db_session(), actor=actor(), data=_area_data(form))
        if not work.failed:
            flash(_("Gebied %(name)s is aangemaakt.", name=area.name), "success")
            return redirect(url_for("admin.areas"))
    return render_template("admin/area_form.html", form=form, area=None)


@bp.route("/areas/<slug>/edit", methods=["GET", "POST"])
def edit_area(slug: str) -> str | Response:
    """Edit an area, its postcodes and managers."""
    area = area_service.get_by_slug(db_session(), slug)
    form = _area_form(area)
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            area_service.update_area(db_session(), area, actor=actor(), data=_area_data(form))
        if not work.failed:
            flash(_("De wijzigingen zijn opgeslagen."), "success")
            return redirect(url_for("admin.areas"))
    return render_template("admin/area_form.html", form=form, area=area)


@bp.get("/users")
def users() -> str:
    """All accounts with their role."""
    rows = accounts.all_users(db_session())
    return render_template("admin/users.html", users=rows, form=RoleForm())


@bp.post("/users/<int:user_id>/role")
def change_role(user_id: int) -> Response:
    """Give an account another role."""
    user = db_session().get(User, user_id)
    if user is None:
        raise NotFound(_("Dit account bestaat niet."))
    form = RoleForm()
    if form.validate_on_submit():
        if user.id == actor().id:
            flash(_("U kunt uw eigen rol niet wijzigen."), "error")
        else:
            accounts.change_role(db_session(), user, actor=actor(), role=Role(form.role.data))
            db_session().commit()
            flash(_("De rol van %(name)s is gewijzigd.", name=user.name), "success")
    else:
        flash(_("Kies een geldige rol."), "error")
    return redirect(url_for("admin.users"))


@bp.get("/audit")
def audit_log() -> str:
    """The full audit log, newest first, with a check of the hash chain."""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    entries = audit.newest_entries(db_session(), offset=(page - 1) * AUDIT_PAGE_SIZE, limit=AUDIT_PAGE_SIZE)
    count, head = audit.chain_head(db_session())
    broken_at = audit.verify_chain(db_session())
    return render_template(
        "admin/audit.html", entries=entries, actors=audit.actor_names(db_session(), entries),
        count=count, head=head, broken_at=broken_at,
        page=page, has_next=page * AUDIT_PAGE_SIZE < count,
    )


def _widgets_page(form: WidgetOriginForm, status: int = 200) -> tuple[str, int]:
    session = db_session()
    areas = area_service.list_areas(session)
    return render_template("admin/widgets.html", form=form, remove_form=RemoveForm(),
                           origins=widget_origins.list_origins(session), areas=areas), status


@bp.get("/widgets")
def widgets() -> tuple[str, int]:
    """The websites allowed to show the widgets, and the code to embed them."""
    return _widgets_page(WidgetOriginForm(formdata=None))


@bp.post("/widgets")
def add_widget_origin() -> Response | tuple[str, int]:
    """Allow one more website to show the widgets."""
    form = WidgetOriginForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            row = widget_origins.add_origin(db_session(), actor=actor(), text=form.origin.data or "")
        if not work.failed:
            flash(_("%(origin)s mag de widgets nu tonen.", origin=row.origin), "success")
            return redirect(url_for("admin.widgets"))
    return _widgets_page(form, 400)


@bp.post("/widgets/<int:origin_id>/remove")
def remove_widget_origin(origin_id: int) -> Response:
    """Take a website off the list."""
    if RemoveForm().validate_on_submit():
        with unit_of_work(page=(NotFound,)):
            widget_origins.remove_origin(db_session(), origin_id, actor=actor())
        flash(_("De website is van de lijst gehaald."), "success")
    return redirect(url_for("admin.widgets"))
