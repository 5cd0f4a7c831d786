"""How a report page's filters read: a code is chosen from a list that names it («EL65 —
ΠΕΛΟΠΟΝΝΗΣΟΥ», «SC01 Ψηφιακή …»), not typed. Only the page's widgets change: the FilterSet, its
fields and what the API and the downloads accept stay as they are (one FilterSet per list).

A list that grows with the data (municipalities: 332 in Greece, 100,000 at EU scale) is offered as
a drop-down only up to MAX_OPTIONS entries; beyond, the code is typed (the search finds it by name)
and the chosen one is named beside the field. The options are written in one pass: Django's Select
renders each option through a template (0.3 ms each, 30 s for 100,000)."""

from html import escape

from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from grants import history
from grants.models import Municipality, Programme, Region, RegionalUnit
from projects.models import CatalogueProject, Category

EMPTY_CHOICE = ("", "---------")
# Entries a drop-down offers at most; a longer list (read up to one more entry) becomes a text field.
MAX_OPTIONS = 2000
SELECTED = " selected"


def _regions(limit):
    rows = Region.objects.order_by("code").values_list("code", "name")[:limit]
    return [(c, f"{c} — {n}") for c, n in rows]


def _regional_units(limit):
    return list(RegionalUnit.objects.order_by("name").values_list("code", "name")[:limit])


def _municipalities(limit):
    rows = Municipality.objects.order_by("name", "elstat_code").values_list("elstat_code", "name")[:limit]
    return [(c, f"{n} ({c})") for c, n in rows]


def _projects(limit):
    projects = CatalogueProject.objects.order_by("code").only("code", "title_el", "title_en")[:limit]
    return [(p.code, str(p)) for p in projects]


def _categories(limit):
    return [(str(c.order), str(c)) for c in Category.objects.order_by("order")[:limit]]


def _programmes(limit):
    rows = Programme.objects.order_by("code").values_list("code", "title")[:limit]
    return [(c, f"{c} — {t}") for c, t in rows]


def _actions(limit):
    """Each action by its label, and the workflow's family (the filter matches a code's start)."""
    labels = sorted(history.action_labels().items(), key=lambda item: item[1])
    return [("workflow.", _("Workflow: every action")), *labels]


def _municipality_named(code):
    found = Municipality.objects.filter(elstat_code=code).values_list("name", flat=True).first()
    return f"{found} ({code})" if found else None


# A filter's name (in any report's FilterSet) → the choices of its code (at most `limit` read).
CODE_CHOICES = {
    "region": _regions,
    "regional_unit": _regional_units,
    "municipality": _municipalities,
    "project": _projects,
    "programme": _programmes,
    "category": _categories,
    "action": _actions,
}
# For the lists that may outgrow a drop-down: the name of a typed code.
NAMED = {"municipality": _municipality_named}


class OptionsSelect(forms.Select):
    """Django's Select, its options written in one pass: the same HTML, a thousand times faster."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        options = "\n".join(
            f'  <option value="{escape(v)}"{SELECTED if v in chosen else ""}>{escape(label)}</option>'
            for v, label in ((str(v), str(label)) for v, label in self.choices)
        )
        attrs = self.build_attrs(self.attrs, attrs)
        return mark_safe(f'<select name="{escape(name)}"{flatatt(attrs)}>\n{options}\n</select>')


def as_selects(filterset):
    """Turn the FilterSet's free-text code fields into drop-downs, keeping a value typed by hand in a
    bookmarked address (shown as itself) so that the page never silently drops a filter."""
    form = filterset.form
    for name, choices in CODE_CHOICES.items():
        field = form.fields.get(name)
        if field is None or isinstance(field, forms.ChoiceField):
            continue
        current = form.data.get(name) if form.is_bound else None
        found = choices(MAX_OPTIONS + 1)
        if len(found) > MAX_OPTIONS:
            _typed(field, name, current)
            continue
        options = [EMPTY_CHOICE, *found]
        if current and current not in {value for value, _label in options}:
            options.append((current, current))
        field.widget = OptionsSelect(choices=options)
    return filterset


def _typed(field, name, current):
    """A list too long for a drop-down: the code is typed; the one typed is named under the field."""
    named = NAMED.get(name)
    field.widget.attrs.setdefault("placeholder", _("Code"))
    label = named(current) if named and current else None
    if label:
        field.help_text = _("Chosen: %(name)s.") % {"name": label}
    elif current and named:
        field.help_text = _("No entry has the code «%(code)s».") % {"code": current}
    else:
        field.help_text = _("Type the code: the search at the top finds it by name.")
