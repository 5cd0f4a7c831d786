"""The filters of an export as people read them, for the PDF's «Filters:» line: labels instead of
field names, choice labels instead of codes, dd/mm/yyyy instead of ISO dates, names instead of ids."""

import datetime

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _

from grants.amounts import AmountField
from grants.formatting import format_date, format_datetime, format_eur

# Changelist parameters that are not filters: ordering, page, "show all", popups, errors.
ADMIN_NOT_FILTERS = {"o", "p", "all", "e", "_to_field", "_popup", "_changelist_filters"}


def applied(fs) -> list[tuple[str, str]]:
    """The filters in force on a report's FilterSet, as (label, value)."""
    shown = []
    data = fs.form.cleaned_data if fs.is_bound and fs.is_valid() else {}
    for name, value in data.items():
        if value in (None, "", [], ()):
            continue
        label = str(fs.filters[name].label or name)
        field = fs.form.fields[name]
        values = value if isinstance(value, list | tuple) else [value]
        shown.append((label, ", ".join(_form_value(field, v) for v in values)))
    return shown


def _form_value(field, value) -> str:
    if isinstance(field, AmountField):
        return format_eur(value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    choices = {str(k): v for k, v in getattr(field, "choices", ()) if not isinstance(v, list | tuple)}
    if str(value) in choices:
        return str(choices[str(value)])
    return _plain(value)


def _plain(value) -> str:
    if isinstance(value, datetime.datetime):
        return format_datetime(value)
    if isinstance(value, datetime.date):
        return format_date(value)
    return str(value)


def admin(model, params) -> list[tuple[str, str]]:
    """The filters of an admin changelist's query string (`status__exact=included`,
    `municipality__regional_unit__region__id__exact=3`, `q=…`), as (label, value)."""
    shown = []
    for key in params:
        values = [v for v in params.getlist(key) if v != ""]
        if key in ADMIN_NOT_FILTERS or not values:
            continue
        if key == "q":
            shown.append((_("Search"), ", ".join(values)))
            continue
        label, field, lookups = _walk(model, key)
        if field is None:
            shown.append((key, ", ".join(values)))
            continue
        if lookups and lookups[-1] == "in":
            values = [part for v in values for part in v.split(",")]
        if lookups and lookups[-1] == "isnull":
            shown.append(
                (
                    f"{label}: {_('empty')}",
                    ", ".join(_("Yes") if v in ("1", "True", "true") else _("No") for v in values),
                )
            )
            continue
        shown.append((label, ", ".join(_admin_value(field, v) for v in values)))
    return shown


def _walk(model, key):
    """(label, the field the value is compared with, the lookups left) for a filter's key."""
    parts = key.split("__")
    field, label = None, key
    for i, part in enumerate(parts):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return label, field, parts[i:]
        if not (field.primary_key and i > 0):
            # «region__id»: the id stands for the region, which keeps its own label.
            label = str(getattr(field, "verbose_name", part))
        if field.is_relation and field.related_model is not None:
            model = field.related_model
    return label, field, []


def _admin_value(field, value: str) -> str:
    if field.is_relation and field.related_model is not None:
        obj = field.related_model._default_manager.filter(pk=value).first()
        return str(obj) if obj is not None else value
    if field.primary_key:
        obj = field.model._default_manager.filter(pk=value).first()
        return str(obj) if obj is not None else value
    choices = {str(k): v for k, v in (field.choices or ())}
    if value in choices:
        return str(choices[value])
    if field.get_internal_type() == "BooleanField":
        return _("Yes") if value in ("1", "True", "true") else _("No")
    if field.get_internal_type() in ("DateField", "DateTimeField"):
        try:
            return _plain(datetime.date.fromisoformat(value[:10]))
        except ValueError:
            return value
    return value
