"""Admin forms: areas and roles."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from pb.forms import options
from pb.models.user import Role

_REQUIRED = _l("Vul dit veld in.")


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes instead of a multi-select (easier with keyboard and on phones)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AreaForm(FlaskForm):
    """Create or edit an area."""

    name = StringField(_l("Naam"), validators=[DataRequired(_REQUIRED), Length(max=120)])
    slug = StringField(
        _l("Korte naam voor in het webadres"),
        description=_l("Kleine letters, cijfers en streepjes, bijvoorbeeld silvolde-terborg."),
        validators=[DataRequired(_REQUIRED), Length(max=64)],
    )
    description = TextAreaField(_l("Beschrijving"), validators=[Length(max=5000)])
    postcodes = TextAreaField(
        _l("Postcodes"),
        description=_l("Postcodes die bij dit gebied horen: 4 cijfers (7071) of met letters (7071 AB). Eén per regel of gescheiden door komma's."),
        validators=[Length(max=20000)],
    )
    manager_ids = MultiCheckboxField(_l("Gebiedsregisseurs en medewerkers informatiepunt"), coerce=int, validate_choice=False)


class RoleForm(FlaskForm):
    """Change an account's role."""

    role = SelectField(
        _l("Rol"),
        choices=options([
            (Role.RESIDENT.value, _l("Bewoner")),
            (Role.STAFF.value, _l("Medewerker informatiepunt")),
            (Role.MANAGER.value, _l("Gebiedsregisseur")),
            (Role.ADMIN.value, _l("Beheerder gemeente")),
        ]),
    )


class LanguageForm(FlaskForm):
    """Switch the interface language."""

    lang = SelectField(choices=options([("nl", "Nederlands"), ("en", "English")]))


class WidgetOriginForm(FlaskForm):
    """Allow one more website to show the widgets."""

    origin = StringField(
        _l("Webadres van de website"),
        description=_l("Alleen het begin van het adres, bijvoorbeeld https://www.oude-ijsselstreek.nl"),
        validators=[DataRequired(_REQUIRED), Length(max=200)],
    )


class RemoveForm(FlaskForm):
    """A button that removes something (CSRF only)."""
