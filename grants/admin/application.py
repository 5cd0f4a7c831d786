"""Applications: the list officers filter all day (with the totals of what they filtered) and the
application page (selections against the cap, read-only status, history)."""

from decimal import Decimal

from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR, TO_FIELD_VAR
from django.contrib.admin.views.main import (
    ALL_VAR,
    ERROR_FLAG,
    IS_FACETS_VAR,
    ORDER_VAR,
    PAGE_VAR,
    SEARCH_VAR,
    ChangeList,
)
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.db.models import Count, DecimalField, Prefetch, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from grants import caps, deadlines, services
from grants.filters import ApplicationFilterSet, application_search_q
from grants.formatting import date_gr, datetime_gr, eur, format_int
from grants.models import (
    Application,
    ApplicationStatus,
    ApplicationSummary,
    AuditEvent,
    CapOverride,
    Channel,
    committed_to_cap,
)
from grants.pagination import KeysFirstPaginator

from .amendments import decision_panel
from .audit import render_history
from .checklist import ChecklistAdminMixin
from .common import AutocompleteFilter, FastActionCheckboxMixin, FoldedSearchMixin, html_rows
from .desk import WorkQueueFilter
from .documents import ConversationAdminMixin
from .exports import export_actions
from .selections import SelectionInline
from .workflow_actions import WorkflowAdminMixin, bulk_actions


def _override_for(app):
    """The application's cap override from the prefetched list (None when there is none); `...`
    when not prefetched, so that the model looks it up itself."""
    overrides = getattr(app.municipality, "_overrides", None)
    if overrides is None:
        return ...
    return next((o for o in overrides if o.programme_id == app.programme_id), None)


# Beyond this many selections (a programme with a catalogue larger than the 38 entries of Smart
# Cities) the page lists them in a read-only table instead of an inline form per row: a thousand forms
# with a project drop-down each took seconds to render. They are then changed through the API.
SELECTIONS_INLINE_MAX = 100


def cap_of(app) -> Decimal:
    return app.programme.cap_for(app.municipality, override=_override_for(app))


class OverdueListFilter(admin.SimpleListFilter):
    """«Overdue»: the FilterSet's rule (grants.deadlines.overdue_q), as the API's `overdue=true`."""

    title = _("deadline")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return (("true", _("Overdue")), ("false", _("Not overdue")))

    def queryset(self, request, queryset):
        if self.value() not in ("true", "false"):
            return queryset
        return ApplicationFilterSet({"overdue": self.value()}, queryset=queryset).qs


def _deadline_text(row) -> str:
    text = f"{row['label']}: {date_gr(row['date'])}"
    return f"{text} ({gettext('overdue')})" if row["overdue"] else text


def list_totals(queryset) -> dict:
    """One aggregate over exactly the filtered rows the officer is looking at: their number and sums."""
    return queryset.order_by().aggregate(
        n=Count("pk"),
        total_budget=Sum("budget"),
        total_included=caps.committed_sum(),
        total_to_be_included=Sum("budget", filter=Q(status=ApplicationStatus.TO_BE_INCLUDED)),
    )


# The list's filters that the application summary is kept by (grants.models.ApplicationSummary: per
# programme, status and regional unit), as the list writes them in its URL, and the summary's lookup.
SUMMARISED_PARAMS = {
    "status__exact": "status",
    "programme__id__exact": "programme_id",
    "municipality__regional_unit__id__exact": "regional_unit_id",
    "municipality__regional_unit__region__id__exact": "regional_unit__region_id",
    "municipality__regional_unit__region__category__exact": "regional_unit__region__category",
}
# What the list's URL may hold besides: its order, page and display, which select no rows.
UNSELECTIVE_PARAMS = {ORDER_VAR, PAGE_VAR, ALL_VAR, IS_POPUP_VAR, TO_FIELD_VAR, IS_FACETS_VAR, ERROR_FLAG}


def summarised_lookups(params, db) -> dict | None:
    """The summary's lookups for a list URL's `params` (a QueryDict) when the summary can answer its
    totals: on PostgreSQL (which keeps it), no search and no filter but the summary's own, each with
    one value. None otherwise: the applications themselves are summed."""
    if connections[db].vendor != "postgresql" or params.get(SEARCH_VAR, "").strip():
        return None
    lookups = {}
    for key, values in params.lists():
        if key in UNSELECTIVE_PARAMS or key == SEARCH_VAR:
            continue
        if key not in SUMMARISED_PARAMS or len(values) != 1:
            return None
        lookups[SUMMARISED_PARAMS[key]] = values[0]
    return lookups


def summary_totals(lookups: dict) -> dict:
    """list_totals's figures from the summary's rows that match `lookups` (summarised_lookups)."""
    return (
        ApplicationSummary.objects.filter(**lookups)
        .order_by()
        .aggregate(
            n=Coalesce(Sum("applications"), 0),
            total_budget=Sum("budget"),
            total_included=Coalesce(
                Sum("budget", filter=Q(status__in=caps.COMMITTED_STATUSES)),
                Value(Decimal("0")),
                output_field=DecimalField(max_digits=16, decimal_places=2),
            ),
            total_to_be_included=Sum("budget", filter=Q(status=ApplicationStatus.TO_BE_INCLUDED)),
        )
    )


class TotalsPaginator(KeysFirstPaginator):
    """Counts the pages by the list's totals: the one pass over the filtered rows (a search may match
    tens of thousands) gives both the number the pages need and the sums shown above them. The page
    itself is read by its keys first (grants.pagination.by_keys). With `summary` (summarised_lookups)
    the totals are the summary's few thousand rows instead of every application."""

    def __init__(self, *args, summary: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.summary = summary

    @cached_property
    def totals(self) -> dict:
        if self.summary is not None:
            return summary_totals(self.summary)
        return list_totals(self.object_list)

    @cached_property
    def count(self) -> int:
        return self.totals["n"]


class ApplicationChangeList(ChangeList):
    """«N results (M total)»: the whole list's M from the summary, on PostgreSQL, instead of counting
    every application on each page view."""

    def get_results(self, request):
        if connections[self.root_queryset.db].vendor != "postgresql":
            return super().get_results(request)
        root = self.root_queryset
        self.root_queryset = _Counted(lambda: summary_totals({})["n"])
        try:
            super().get_results(request)
        finally:
            self.root_queryset = root


class _Counted:
    """What ChangeList.get_results asks of its root queryset: its count."""

    def __init__(self, count):
        self.count = count


@admin.register(Application)
class ApplicationAdmin(
    ConversationAdminMixin,
    ChecklistAdminMixin,
    FastActionCheckboxMixin,
    WorkflowAdminMixin,
    FoldedSearchMixin,
    admin.ModelAdmin,
):
    # Columns that fit beside the filters on a 1366-pixel laptop; the region is a filter, the rest is
    # on the application's page.
    list_display = (
        "municipality",
        "status_col",
        "budget_col",
        "cap_col",
        "remaining_col",
        "inclusion_date_col",
        "deadline_col",
    )
    list_filter = (
        WorkQueueFilter,
        "status",
        OverdueListFilter,
        # Chosen as typed: hundreds of regions and a thousand regional units at EU scale.
        ("municipality__regional_unit__region", AutocompleteFilter),
        ("municipality__regional_unit", AutocompleteFilter),
        "municipality__regional_unit__region__category",
        "municipality__eligible",
        "programme",
    )
    # What the columns read: the region is a filter, not a column, and joining it (and the regional
    # unit) to every matching row before the page is sorted cost a search of a common word dearly.
    list_select_related = ("programme", "municipality")
    search_fields = ("municipality__name",)
    search_help_text = _("Municipality in any case, with or without accents; MIS code or ΑΔΑ.")
    folded_search_fields = ApplicationFilterSet.folded_search_fields
    exact_search_fields = ApplicationFilterSet.exact_search_fields
    list_per_page = 100
    inlines = [SelectionInline]
    actions = [
        *bulk_actions(),
        *export_actions("operations", _("operations")),
        *export_actions("inclusions", _("published list"), formats=("csv", "xlsx")),
    ]
    change_form_template = "admin/grants/application/change_form.html"
    change_list_template = "admin/grants/application/change_list.html"

    # Everything on the application is written by the workflow or by the selection services.
    readonly_fields = (
        "tracking_number",
        "programme",
        "municipality",
        "status",
        "reviewer",
        "budget_col",
        "cap_summary",
        "inclusion_date_col",
        "end_date_col",
        "decision_ada",
        "mis_code",
        "deinclusion_ada",
        "proposed_by",
        "response_due_col",
        "submitted_at_col",
        "deadlines_col",
        "version",
        "is_demo",
        "decision_history",
        "history",
        "selections_table",
    )
    fieldsets = (
        (None, {"fields": ("tracking_number", "programme", "municipality", "status", "reviewer")}),
        (_("Money"), {"fields": ("budget_col", "cap_summary")}),
        (
            _("Decision"),
            {
                "fields": (
                    "inclusion_date_col",
                    "end_date_col",
                    "decision_ada",
                    "mis_code",
                    "deinclusion_ada",
                    "proposed_by",
                )
            },
        ),
        (_("Record"), {"fields": ("submitted_at_col", "deadlines_col", "version", "is_demo")}),
        (_("After inclusion"), {"fields": ("decision_history",)}),
        (_("History"), {"fields": ("history",)}),
    )
    add_fieldsets = ((None, {"fields": ("programme", "municipality")}),)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(committed=committed_to_cap())
            .prefetch_related(
                Prefetch(
                    "municipality__cap_overrides", queryset=CapOverride.objects.all(), to_attr="_overrides"
                )
            )
        )

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        summary = summarised_lookups(request.GET, queryset.db)
        return TotalsPaginator(queryset, per_page, orphans, allow_empty_first_page, summary=summary)

    def get_changelist(self, request, **kwargs):
        return ApplicationChangeList

    def get_search_results(self, request, queryset, search_term):
        # The FilterSet's rule (the same fields), with the municipality part as an indexed subquery.
        condition = application_search_q(search_term)
        return (queryset if condition is None else queryset.filter(condition)), False

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        if self._many_selections(obj):
            selections = (_("Selections"), {"fields": ("selections_table",)})
            return (*self.fieldsets[:2], selections, *self.fieldsets[2:])
        return self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_inline_instances(self, request, obj=None):
        # On the add page there is no application (nor cap) yet to check selections against.
        if obj is None or self._many_selections(obj):
            return []
        return super().get_inline_instances(request, obj)

    def _many_selections(self, obj) -> bool:
        if not hasattr(obj, "_sc_many_selections"):
            # Counting stops at the limit: a few rows read whatever the application holds.
            obj._sc_many_selections = obj.selections.all()[: SELECTIONS_INLINE_MAX + 1].count() > (
                SELECTIONS_INLINE_MAX
            )
        return obj._sc_many_selections

    def has_delete_permission(self, request, obj=None):
        # An application is history: it is withdrawn or rejected through the workflow, not deleted.
        return False

    # -- columns ------------------------------------------------------------------------------

    @admin.display(description=_("status"), ordering="status")
    def status_col(self, obj):
        return obj.get_status_display()

    @admin.display(description=_("region"), ordering="municipality__regional_unit__region__name")
    def region(self, obj):
        return obj.municipality.regional_unit.region

    @admin.display(description=_("budget"), ordering="budget")
    def budget_col(self, obj):
        return eur(obj.budget)

    @admin.display(description=_("cap"))
    def cap_col(self, obj):
        return eur(cap_of(obj))

    @admin.display(description=_("remaining under the cap"))
    def remaining_col(self, obj):
        # The same rule as the caps report: a rejected, withdrawn or de-included budget holds nothing.
        return eur(cap_of(obj) - obj.committed)

    @admin.display(description=_("inclusion date"), ordering="inclusion_date")
    def inclusion_date_col(self, obj):
        return date_gr(obj.inclusion_date)

    @admin.display(description=_("expected end date"), ordering="end_date")
    def end_date_col(self, obj):
        return date_gr(obj.end_date)

    @admin.display(description=_("response deadline"), ordering="response_due")
    def response_due_col(self, obj):
        return date_gr(obj.response_due)

    @admin.display(description=_("submitted at"), ordering="submitted_at")
    def submitted_at_col(self, obj):
        return datetime_gr(obj.submitted_at)

    @admin.display(description=_("deadline"))
    def deadline_col(self, obj):
        rows = [r for r in deadlines.deadlines_of(obj) if r["what"] != "closes_on"] or deadlines.deadlines_of(
            obj
        )
        if not rows:
            return "—"
        row = rows[0]
        if row["overdue"]:
            return format_html('<strong class="deadline--overdue">{}</strong>', _deadline_text(row))
        return _deadline_text(row)

    @admin.display(description=_("deadlines"))
    def deadlines_col(self, obj):
        rows = deadlines.deadlines_of(obj)
        if not rows:
            return "—"
        return format_html_join(
            "",
            '<div class="{}">{}</div>',
            (("deadline--overdue" if r["overdue"] else "", _deadline_text(r)) for r in rows),
        )

    @admin.display(description=_("tracking number"))
    def tracking_number(self, obj):
        return obj.tracking_number

    @admin.display(description=_("selections against the cap"))
    def cap_summary(self, obj):
        cap = cap_of(obj)
        total = obj.selections.aggregate(s=Sum("amount"))["s"] or Decimal("0")
        # data-* carry plain numbers for the running total the page recomputes as amounts are typed.
        return format_html(
            "<span id='sc-cap-summary' data-cap='{}' data-total='{}'>"
            "{}: <strong id='sc-running-total'>{}</strong> / {}: {} — "
            "{}: <strong id='sc-remaining'>{}</strong>"
            "</span>",
            cap,
            total,
            gettext("total"),
            eur(total),
            gettext("cap"),
            eur(cap),
            gettext("remaining"),
            eur(cap - total),
        )

    @admin.display(description=_("versions of the decision, amendments, progress, indicators"))
    def decision_history(self, obj):
        return decision_panel(getattr(obj, "_viewer", None), obj)

    def get_object(self, request, object_id, from_field=None):
        # The page's panels (workflow, checklist, documents) and the admin each ask for the object:
        # on a GET, which changes nothing, it is read once.
        key = (object_id, from_field)
        read = getattr(request, "_sc_objects", None)
        if request.method == "GET" and read is not None and key in read:
            return read[key]
        obj = super().get_object(request, object_id, from_field)
        if request.method == "GET":
            request._sc_objects = {**(read or {}), key: obj}
        if obj is not None:
            obj._viewer = (
                request  # decision_history's buttons depend on who looks (per request, not per admin)
            )
        return obj

    @admin.display(description=_("selections"))
    def selections_table(self, obj):
        # Plain values, not model instances: this table is for the applications with the most rows.
        title = "project__title_en" if (get_language() or "el").startswith("en") else "project__title_el"
        rows = [
            (code, project, eur(amount), justification)
            for code, project, amount, justification in obj.selections.order_by(
                "project__category__order", "project__code"
            ).values_list("project__code", title, "amount", "justification")
        ]
        note = gettext(
            "%(n)s selections: shown read-only here; they are changed through the API "
            "(/api/v1/applications/%(id)s/selections/)."
        ) % {"n": format_int(len(rows)), "id": obj.pk}
        body = html_rows(rows)
        head = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            _("code"),
            _("project"),
            _("amount"),
            _("justification"),
        )
        return format_html(
            "<p>{}</p><table class='sc-history'><thead>{}</thead><tbody>{}</tbody></table>", note, head, body
        )

    @admin.display(description=_("history"))
    def history(self, obj):
        events = AuditEvent.objects.filter(application=obj).order_by("created_at", "id")
        return render_history(events)

    # -- list totals --------------------------------------------------------------------------

    def changelist_view(self, request, extra_context=None):
        # «Applications», not Django's «Select application to change».
        extra_context = {"title": capfirst(self.opts.verbose_name_plural), **(extra_context or {})}
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        cl = context.get("cl") if context else None
        if cl is not None:
            paginator = getattr(cl, "paginator", None)
            totals = paginator.totals if isinstance(paginator, TotalsPaginator) else list_totals(cl.queryset)
            context["sc_totals"] = {
                "count": totals["n"],
                "budget": eur(totals["total_budget"] or 0),
                "included": eur(totals["total_included"] or 0),
                "to_be_included": eur(totals["total_to_be_included"] or 0),
            }
        return response

    # -- saving -------------------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing on the application itself is edited here
        app, _created = services.application_get_or_create(
            programme=obj.programme, municipality=obj.municipality, actor=request.user, channel=Channel.ADMIN
        )
        obj.pk = app.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        try:
            formset.save()
        except ValidationError as exc:
            # Validated a moment ago under the same rules; another writer got in between.
            transaction.set_rollback(True)
            request._sc_save_refused = True
            messages.error(request, " ".join(exc.messages))
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # An application is one per programme and municipality: «save and add another» leads nowhere.
        context["show_save_and_add_another"] = False
        return super().render_change_form(request, context, add, change, form_url, obj)

    def response_change(self, request, obj):
        if getattr(request, "_sc_save_refused", False):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)
