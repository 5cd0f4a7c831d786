"""How a report page's filters read: a code is chosen from a list that names it («EL65 —
ΠΕΛΟΠΟΝΝΗΣΟΥ», «SC01 Ψηφιακή …»), not typed. Only the page's widgets change: the FilterSet, its
fields and what the API and the downloads accept stay as they are (one FilterSet per list)."""

from django import forms
from django.utils.translation import gettext as _

from grants import history
from grants.models import Municipality, Programme, Region, RegionalUnit
from projects.models import CatalogueProject, Category

EMPTY_CHOICE = ("", "---------")


def _regions():
    return [(c, f"{c} — {n}") for c, n in Region.objects.order_by("code").values_list("code", "name")]


def _regional_units():
    return [(c, n) for c, n in RegionalUnit.objects.order_by("name").values_list("code", "name")]


def _municipalities():
    rows = Municipality.objects.order_by("name", "elstat_code").values_list("elstat_code", "name")
    return [(c, f"{n} ({c})") for c, n in rows]


def _projects():
    projects = CatalogueProject.objects.order_by("code").only("code", "title_el", "title_en")
    return [(p.code, str(p)) for p in projects]


def _categories():
    return [(str(c.order), str(c)) for c in Category.objects.order_by("order")]


def _programmes():
    return [(c, f"{c} — {t}") for c, t in Programme.objects.order_by("code").values_list("code", "title")]


def _actions():
    """Each action by its label, and the workflow's family (the filter matches a code's start)."""
    labels = sorted(history.action_labels().items(), key=lambda item: item[1])
    return [("workflow.", _("Workflow: every action")), *labels]


# A filter's name (in any report's FilterSet) → the choices of its code.
CODE_CHOICES = {
    "region": _regions,
    "regional_unit": _regional_units,
    "municipality": _municipalities,
    "project": _projects,
    "programme": _programmes,
    "category": _categories,
    "action": _actions,
}


def as_selects(filterset):
    """Turn the FilterSet's free-text code fields into drop-downs, keeping a value typed by hand in a
    bookmarked address (shown as itself) so that the page never silently drops a filter."""
    form = filterset.form
    for name, choices in CODE_CHOICES.items():
        field = form.fields.get(name)
        if field is None or isinstance(field, forms.ChoiceField):
            continue
        options = [EMPTY_CHOICE, *choices()]
        current = form.data.get(name) if form.is_bound else None
        if current and current not in {value for value, _label in options}:
            options.append((current, current))
        field.widget = forms.Select(choices=options)
    return filterset
