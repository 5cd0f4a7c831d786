"""One FilterSet per model, shared by the admin's "export what I see", the reports and the API, so a
download never disagrees with the screen."""

import datetime

import django_filters as df
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.deadlines import overdue_q
from grants.models import (
    Application,
    ApplicationStatus,
    AuditEvent,
    Channel,
    DocumentType,
    Municipality,
    Notification,
    NotificationKind,
    RegionCategory,
)
from grants.text import search_q
from projects.models import CatalogueProject, Selection


class SearchMixin:
    """`q` by the admin's search rule (grants.text.search_q) over the same fields: the admins read
    their fields from these FilterSets."""

    folded_search_fields: tuple[str, ...] = ("search_key",)
    exact_search_fields: tuple[str, ...] = ()

    def filter_q(self, queryset, name, value):
        condition = search_q(value, self.folded_search_fields, self.exact_search_fields)
        return queryset if condition is None else queryset.filter(condition)


class MunicipalityFilterSet(SearchMixin, df.FilterSet):
    exact_search_fields = ("elstat_code",)
    q = df.CharFilter(method="filter_q", label=_("Search"))
    region = df.CharFilter(field_name="regional_unit__region__code", label=_("Region (NUTS2)"))
    regional_unit = df.CharFilter(field_name="regional_unit__code", label=_("Regional unit"))
    region_category = df.ChoiceFilter(
        field_name="regional_unit__region__category",
        choices=RegionCategory.choices,
        label=_("Region category"),
    )
    eligible = df.BooleanFilter(field_name="eligible", label=_("Eligible by rule"))
    status = df.MultipleChoiceFilter(
        field_name="applications__status", choices=ApplicationStatus.choices, label=_("Application status")
    )

    class Meta:
        model = Municipality
        fields = ["q", "region", "regional_unit", "region_category", "eligible", "status"]


def application_search_q(term: str) -> Q | None:
    """search_q over applications by their municipality (folded name, ELSTAT code) or their own
    codes (MIS, ΑΔΑ). The applications whose own code is the term are looked up first (an indexed
    equality, almost always none), so that what is left is a condition on the municipality alone:
    PostgreSQL then finds the municipalities by their indexes (trigram, code) or walks them in name
    order, and joins their applications. An OR of the municipality's columns with the application's
    would be tested on every application joined to every municipality. When some application has the
    code, its municipality joins the municipality's condition (by its unique code, indexed too) and
    the application itself the whole one, so that its municipality's other applications stay out."""
    exact = ApplicationFilterSet.exact_search_fields
    via_municipality = tuple(f for f in exact if f.startswith("municipality__"))
    municipality = search_q(term, ApplicationFilterSet.folded_search_fields, via_municipality)
    if municipality is None:
        return None
    own = search_q(term, (), tuple(f for f in exact if f not in via_municipality))
    coded = list(Application.objects.filter(own).values_list("pk", "municipality__elstat_code"))
    if not coded:
        return municipality
    ids, codes = zip(*coded, strict=True)
    return (municipality | Q(municipality__elstat_code__in=set(codes))) & (municipality | Q(pk__in=ids))


class ApplicationFilterSet(SearchMixin, df.FilterSet):
    folded_search_fields = ("municipality__search_key",)
    exact_search_fields = ("municipality__elstat_code", "mis_code", "decision_ada")
    q = df.CharFilter(method="filter_q", label=_("Search"))
    # distinct=False: status is the application's own column, so no row can repeat; DISTINCT over
    # every column would sort all matching applications before the first page.
    status = df.MultipleChoiceFilter(choices=ApplicationStatus.choices, label=_("Status"), distinct=False)
    programme = df.CharFilter(field_name="programme__code", label=_("Programme"))
    region = df.CharFilter(field_name="municipality__regional_unit__region__code", label=_("Region (NUTS2)"))
    region_category = df.ChoiceFilter(
        field_name="municipality__regional_unit__region__category",
        choices=RegionCategory.choices,
        label=_("Region category"),
    )
    municipality = df.CharFilter(
        field_name="municipality__elstat_code", label=_("Municipality (ELSTAT code)")
    )
    project = df.CharFilter(method="filter_project", label=_("Catalogue project (code)"))
    inclusion_date_after = df.DateFilter(
        field_name="inclusion_date", lookup_expr="gte", label=_("Included from")
    )
    inclusion_date_before = df.DateFilter(
        field_name="inclusion_date", lookup_expr="lte", label=_("Included until")
    )
    is_demo = df.BooleanFilter(label=_("Demo data"))
    overdue = df.BooleanFilter(method="filter_overdue", label=_("Overdue"))

    def filter_q(self, queryset, name, value):
        condition = application_search_q(value)
        return queryset if condition is None else queryset.filter(condition)

    class Meta:
        model = Application
        fields = [
            "q",
            "status",
            "programme",
            "region",
            "region_category",
            "municipality",
            "project",
            "inclusion_date_after",
            "inclusion_date_before",
        ]

    def filter_overdue(self, queryset, name, value):
        # Past the review target, or returned and past the answer's deadline (grants.deadlines).
        return queryset.filter(overdue_q()) if value else queryset.exclude(overdue_q())

    def filter_project(self, queryset, name, value):
        # A subquery, not a join: a join would repeat an application once per matching selection.
        return queryset.filter(pk__in=Selection.objects.filter(project__code=value).values("application_id"))


class SelectionFilterSet(SearchMixin, df.FilterSet):
    folded_search_fields = ("application__municipality__search_key", "project__search_key")
    exact_search_fields = ("application__municipality__elstat_code", "project__code")
    q = df.CharFilter(method="filter_q", label=_("Search"))
    status = df.MultipleChoiceFilter(
        field_name="application__status", choices=ApplicationStatus.choices, label=_("Status"), distinct=False
    )
    region = df.CharFilter(
        field_name="application__municipality__regional_unit__region__code", label=_("Region (NUTS2)")
    )
    municipality = df.CharFilter(
        field_name="application__municipality__elstat_code", label=_("Municipality (ELSTAT code)")
    )
    project = df.CharFilter(field_name="project__code", label=_("Catalogue project (code)"))
    category = df.NumberFilter(field_name="project__category__order", label=_("Category"))

    class Meta:
        model = Selection
        fields = ["q", "status", "region", "municipality", "project", "category"]


class CatalogueFilterSet(SearchMixin, df.FilterSet):
    exact_search_fields = ("code",)
    q = df.CharFilter(method="filter_q", label=_("Search"))
    category = df.NumberFilter(field_name="category__order", label=_("Category"))

    class Meta:
        model = CatalogueProject
        fields = ["q", "category", "official", "active"]


def _start_of(day: datetime.date) -> datetime.datetime:
    """Midnight of `day` in the site's time zone, as an aware instant."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class AuditEventFilterSet(df.FilterSet):
    # Days in Athens time, compared as instants: `created_at__date` would cast every row's timestamp
    # and never use the index on created_at (a sequential scan of the whole history per filter).
    date_after = df.DateFilter(method="filter_from_day", label=_("From"))
    date_before = df.DateFilter(method="filter_until_day", label=_("Until"))
    actor = df.CharFilter(method="filter_actor", label=_("Actor"))
    municipality = df.CharFilter(
        field_name="municipality__elstat_code", label=_("Municipality (ELSTAT code)")
    )
    action = df.CharFilter(field_name="action", lookup_expr="startswith", label=_("Action"))
    channel = df.ChoiceFilter(choices=Channel.choices, label=_("Channel"))

    class Meta:
        model = AuditEvent
        fields = ["date_after", "date_before", "actor", "municipality", "action", "channel"]

    def filter_from_day(self, queryset, name, value):
        return queryset.filter(created_at__gte=_start_of(value))

    def filter_until_day(self, queryset, name, value):
        return queryset.filter(created_at__lt=_start_of(value + datetime.timedelta(days=1)))

    def filter_actor(self, queryset, name, value):
        return queryset.filter(Q(actor__username=value) | Q(actor_name__icontains=value))


class DocumentTypeFilterSet(df.FilterSet):
    programme = df.CharFilter(field_name="programme__code", label=_("Programme (code)"))

    class Meta:
        model = DocumentType
        fields = ["programme"]


class NotificationFilterSet(df.FilterSet):
    unread = df.BooleanFilter(field_name="read_at", lookup_expr="isnull", label=_("Unread"))
    kind = df.MultipleChoiceFilter(choices=NotificationKind.choices, label=_("Kind"))

    class Meta:
        model = Notification
        fields = ["unread", "kind"]
