"""Pieces every admin in this package shares: the current programme, folded search, the actor."""

import html

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext

from grants.models import Programme
from grants.text import search_q


def html_rows(rows) -> SafeString:
    """Table rows (<tr><td>…</td>…</tr>) of plain values (text, never HTML), each escaped as
    format_html_join would: written out here for tables of a thousand rows (an application's
    selections and their progress), where the per-cell escaping hooks took a quarter of a second."""
    escape = html.escape
    return mark_safe(  # noqa: S308 (every cell escaped just above)
        "".join("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    )


def current_programme(request):
    """The programme the screens are about. There is normally exactly one; it is looked up once per
    request so that columns that need it (the cap) do not query per row."""
    if not hasattr(request, "_sc_programme"):
        request._sc_programme = Programme.objects.order_by("pk").first()
    return request._sc_programme


class FoldedSearchMixin:
    """Case- and accent-insensitive search on a stored folded key, by the rule the reports and the
    API use too (grants.text.search_q): «καλαματα» and «Καλαμάτα» both find «ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ».
    Each admin takes its fields from its model's FilterSet, so both search the same fields."""

    # Stored folded keys; every word of the term must match one of them.
    folded_search_fields: tuple[str, ...] = ()
    # Exact matches on codes (ELSTAT code, MIS, ΑΔΑ) typed as they are published.
    exact_search_fields: tuple[str, ...] = ()

    def get_search_results(self, request, queryset, search_term):
        condition = search_q(search_term, self.folded_search_fields, self.exact_search_fields)
        return (queryset if condition is None else queryset.filter(condition)), False


class FastActionCheckboxMixin:
    """The row's action checkbox as Django writes it, formatted directly instead of through the form
    renderer's template for each of the page's 100 rows (a third of a large list's time)."""

    def action_checkbox(self, obj):
        label = format_html(gettext("Select this object for an action - {}"), obj)
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )


class ReadOnlyAdminMixin:
    """Reference data and records: visible to whoever may view them, changed by nobody here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _NamedAutocompleteSelect(AutocompleteSelect):
    """The admin's autocomplete with a placeholder (Django always writes an empty one): the empty box
    then says what it filters by, which is also its combobox's accessible name."""

    def __init__(self, *args, placeholder="", **kwargs):
        super().__init__(*args, **kwargs)
        self.placeholder = placeholder

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs["data-placeholder"] = str(self.placeholder)
        return attrs


class AutocompleteFilter(admin.FieldListFilter):
    """A foreign-key filter that offers its choices as the officer types (the admin's own autocomplete
    view, searched by the related admin's search rule) instead of listing every related row in the
    sidebar: 332 municipalities, hundreds of accounts. Filters by id, as the related-field filter does,
    so exports name the chosen object. The related model's admin needs search_fields."""

    template = "admin/grants/autocomplete_filter.html"

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.lookup_kwarg = f"{field_path}__{field.target_field.name}__exact"
        self.admin_site = model_admin.admin_site
        super().__init__(field, request, params, model, model_admin, field_path)

    def expected_parameters(self):
        return [self.lookup_kwarg]

    def get_facet_counts(self, pk_attname, filtered_qs):
        # Counts would be per related row, the very list this filter avoids loading.
        return {}

    @classmethod
    def widget_media(cls, model, field_name, admin_site):
        widget = AutocompleteSelect(model._meta.get_field(field_name), admin_site)
        return widget.media + forms.Media(js=["grants/autocomplete_filter.js"])

    def choices(self, changelist):
        value = self.used_parameters.get(self.lookup_kwarg) or [""]
        field = forms.ModelChoiceField(
            queryset=self.field.related_model._default_manager.all(),
            widget=_NamedAutocompleteSelect(
                self.field, self.admin_site, placeholder=capfirst(self.field.verbose_name)
            ),
            required=False,
        )
        # Rendering names only the chosen object: one query when the filter is in use, none otherwise.
        # The placeholder names the empty box, so its combobox has an accessible name before a choice.
        widget = field.widget.render(
            self.lookup_kwarg,
            value[-1],
            attrs={"id": f"sc-filter-{self.field_path}"},
        )
        kept = [
            (key, item)
            for key, values in changelist.filter_params.items()
            if key != self.lookup_kwarg
            for item in values
        ]
        yield {
            "selected": bool(value[-1]),
            "widget": widget,
            "hidden": kept,
            "clear_url": changelist.get_query_string(remove=[self.lookup_kwarg]),
            "label": capfirst(self.field.verbose_name),
        }
