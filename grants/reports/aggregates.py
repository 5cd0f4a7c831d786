"""Reports that aggregate: popularity of catalogue projects, budgets by region and status, caps per
municipality. Each builds its short list in a fixed number of queries."""

from decimal import Decimal

from django.db import connections
from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grants import caps, roles, selectors
from grants.filters import ApplicationFilterSet
from grants.formatting import format_eur, format_int, format_percent
from grants.models import (
    RELEASED_STATUSES,
    Application,
    ApplicationStatus,
    ApplicationSummary,
    CapOverride,
    Programme,
    RegionCategory,
    SelectionSummary,
    committed_to_cap,
)
from projects.models import CatalogueProject, Selection

from . import formats
from .base import Column, ListReport, Report, choice_label, csv_safe
from .formats import INT, MONEY, PERCENT
from .report_filtersets import CapsFilterSet

ZERO = Decimal("0.00")
REGION = "municipality__regional_unit__region"
MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)
# A sum of bigint cents (PostgreSQL answers numeric).
CENTS = DecimalField(max_digits=20, decimal_places=0)
STATUS_ORDER = {value: i for i, value in enumerate(ApplicationStatus.values)}


class PopularityReport(ListReport):
    """Per catalogue project: how many applicants chose it, their share, the amount; most chosen first.
    The share is of the applications the filters select (e.g. status=submitted… for "the 312")."""

    name = "popularity"
    title = gettext_lazy("Popularity of catalogue projects")
    description = gettext_lazy("How many applicants chose each catalogue project, and for how much.")
    filterset_class = ApplicationFilterSet
    for_municipalities = True
    columns = [
        Column("rank", gettext_lazy("Rank"), kind=INT, width=6),
        Column("project_code", gettext_lazy("Project code"), width=10),
        Column("project", gettext_lazy("Project"), width=44),
        Column("category", gettext_lazy("Category"), width=24),
        Column("applicants", gettext_lazy("Applicants who chose it"), kind=INT, width=12),
        Column("share", gettext_lazy("Share of applicants"), kind=PERCENT, width=10),
        Column("amount", gettext_lazy("Total amount"), kind=MONEY, width=16),
    ]

    def scoped(self, user):
        return selectors.applications_for(user)

    def filterset(self, user, params, base=None):
        fs = super().filterset(user, params, base)
        # The page and its downloads: the summary answers when the filters allow it.
        self._summarised = (fs.qs, summary_filters(user, fs)) if base is None else None
        return fs

    def projects(self, qs, summary=None, applicants=None) -> tuple[int, list[tuple], Decimal]:
        """(applicants, [(project, applicants who chose it, share, amount)], amount) over the filtered
        applications `qs`: every active project and every project chosen, most chosen first. The
        page, its downloads and the API's `reports/popularity/` all read this. `summary`: the filters
        (summary_filters) when `qs` is every application filtered at most by those, so that the
        database's selection summary gives the counts instead of a million selections."""
        if summary is None:
            remembered = getattr(self, "_summarised", None)
            summary = remembered[1] if remembered is not None and remembered[0] is qs else None
        if applicants is None:  # or counted already by the caller (the dashboard's funnel)
            applicants = qs.count()
        if summary is not None:
            stats = _summary_stats(summary)
        else:
            # One row per (application, project) (a unique constraint): counting rows counts applicants.
            chosen = Selection.objects.filter(application__in=qs.values("pk"))
            stats = {
                row["project_id"]: (row["n"], row["total"])
                for row in chosen.order_by().values("project_id").annotate(n=Count("pk"), total=Sum("amount"))
            }
        listed = []
        for p in CatalogueProject.objects.select_related("category").order_by("code"):
            s = stats.get(p.pk)
            if s is None and not p.active:
                continue
            n, total = s if s else (0, ZERO)
            share = (Decimal(n) / applicants).quantize(Decimal("0.0001")) if applicants else ZERO
            listed.append((p, n, share, total))
        listed.sort(key=lambda r: (-r[1], r[0].code))
        return applicants, listed, sum((total for _n, total in stats.values()), ZERO)

    def build(self, qs):
        applicants, listed, amount = self.projects(qs)
        rows = [
            (i, p.code, p.title_el, p.category.title_el, n, share, total)
            for i, (p, n, share, total) in enumerate(listed, start=1)
        ]
        totals = {"amount": amount, "applicants": sum(r[4] for r in rows)}
        self.applicants = applicants
        return rows, totals

    def summary(self, qs, fs):
        self._cached(qs)
        return [(_("Applicants in the selection"), format_int(self.applicants))]


class BudgetsReport(ListReport):
    """Budgets by region, region category and status, and the programme's commitment against its total."""

    name = "budgets"
    title = gettext_lazy("Budgets by region and status")
    description = gettext_lazy("Budgets by region, region category and status; the programme's commitment.")
    filterset_class = ApplicationFilterSet
    columns = [
        Column("nuts2", gettext_lazy("NUTS2"), width=7),
        Column("region", gettext_lazy("Region"), width=26),
        Column("region_category", gettext_lazy("Region category"), width=16),
        Column("status", gettext_lazy("Status"), width=18),
        Column("applications", gettext_lazy("Applications"), kind=INT, width=10),
        Column("budget", gettext_lazy("Budget"), kind=MONEY, width=18),
    ]

    def scoped(self, user):
        self.user = user
        return selectors.applications_for(user)

    def filterset(self, user, params, base=None):
        fs = super().filterset(user, params, base)
        # The page and its downloads: the application summary answers when the filters allow it.
        self._summarised = (fs.qs, summary_filters(user, fs)) if base is None else None
        return fs

    def groups(self, qs, summary=None):
        """Applications and budgets per region and status of the filtered applications `qs`: the
        page's rows, and the API's `reports/budgets/` added up per region. `summary`: the filters
        (summary_filters) when `qs` is every application filtered at most by those; then the
        database's application summary (a few thousand rows) answers instead of every application."""
        region = REGION
        if summary is None:
            remembered = getattr(self, "_summarised", None)
            summary = remembered[1] if remembered is not None and remembered[0] is qs else None
        if summary is not None:
            rows = ApplicationSummary.objects.filter(applications__gt=0)
            if summary.get("status"):
                rows = rows.filter(status__in=summary["status"])
            if summary.get("programme"):
                rows = rows.filter(programme__code=summary["programme"])
            unit_region = "regional_unit__region"
            return [
                {
                    f"{region}__code": g[f"{unit_region}__code"],
                    f"{region}__name": g[f"{unit_region}__name"],
                    f"{region}__category": g[f"{unit_region}__category"],
                    "status": g["status"],
                    "n": g["n"],
                    "total": g["total"],
                }
                for g in rows.order_by()
                .values(f"{unit_region}__code", f"{unit_region}__name", f"{unit_region}__category", "status")
                .annotate(
                    n=Sum("applications"),
                    total=Coalesce(Sum("budget"), Value(ZERO), output_field=MONEY_FIELD),
                )
            ]
        return (
            qs.order_by()
            .values(f"{region}__code", f"{region}__name", f"{region}__category", "status")
            .annotate(n=Count("pk"), total=Coalesce(Sum("budget"), Value(ZERO), output_field=MONEY_FIELD))
        )

    def build(self, qs):
        region = REGION
        groups = self.groups(qs)
        categories = dict(RegionCategory.choices)
        statuses = dict(ApplicationStatus.choices)
        rows = sorted(
            (
                (
                    g[f"{region}__code"],
                    g[f"{region}__name"],
                    str(categories.get(g[f"{region}__category"], "")),
                    str(statuses.get(g["status"], g["status"])),
                    g["n"],
                    g["total"] or ZERO,
                    STATUS_ORDER.get(g["status"], 99),
                )
                for g in groups
            ),
            key=lambda r: (r[0], r[6]),
        )
        rows = [r[:6] for r in rows]
        # Budgets per status, for the commitment when the groups are of every application it counts.
        self._by_status = (qs, {})
        for g in groups:
            self._by_status[1][g["status"]] = self._by_status[1].get(g["status"], ZERO) + (g["total"] or ZERO)
        # The groups add up to the whole: no second pass over the applications.
        return rows, {"applications": sum(r[4] for r in rows), "budget": sum((r[5] for r in rows), ZERO)}

    def commitment(self, fs):
        """The programme's committed (included) budget against its total, scoped like everything else."""
        code = fs.form.cleaned_data.get("programme") if fs.is_valid() else None
        programmes = Programme.objects.all()
        if code:
            programmes = programmes.filter(code=code)
        total = programmes.aggregate(s=Sum("total_budget"))["s"] or ZERO
        by_status = self._page_by_status(fs)
        if by_status is not None:  # the page's groups are of the same applications: no second pass
            sums = {
                "included": sum((by_status.get(s, ZERO) for s in caps.COMMITTED_STATUSES), ZERO),
                "pipeline": by_status.get(ApplicationStatus.TO_BE_INCLUDED),
            }
        else:
            base = selectors.applications_for(self.user).filter(programme__in=programmes)
            sums = base.aggregate(
                included=caps.committed_sum(),
                pipeline=Sum("budget", filter=_status(ApplicationStatus.TO_BE_INCLUDED)),
            )
        committed = sums["included"]
        return {
            "total": total,
            "committed": committed,
            "pipeline": sums["pipeline"] or ZERO,
            "remaining": total - committed,
            "share": (committed / total).quantize(Decimal("0.0001")) if total else ZERO,
        }

    def _page_by_status(self, fs):
        """The budgets per status of the groups already built for `fs`, when `fs` filters by nothing
        but the programme (then they are the commitment's applications); None otherwise."""
        built = getattr(self, "_by_status", None)
        if built is None or built[0] is not fs.qs or not fs.is_valid():
            return None
        used = {name for name, value in fs.form.cleaned_data.items() if value not in (None, "", [], ())}
        return built[1] if used <= {"programme"} else None

    def summary(self, qs, fs):
        c = self.commitment(fs)
        return [
            (_("Programme total"), format_eur(c["total"])),
            (_("Committed (included)"), format_eur(c["committed"])),
            (_("Committed share"), format_percent(c["share"])),
            (_("Remaining"), format_eur(c["remaining"])),
            (_("To be included (not yet committed)"), format_eur(c["pipeline"])),
        ]


# The filters the selection summary is kept by (grants.models.SelectionSummary).
SUMMARISED_FILTERS = {"status", "programme"}


def summary_filters(user, fs) -> dict | None:
    """The used filters of the ApplicationFilterSet `fs` when the selection summary can answer them:
    on PostgreSQL (which keeps it), for a user who sees every application, filtered by nothing but
    status and programme. None otherwise (the selections are counted)."""
    if connections[fs.queryset.db].vendor != "postgresql" or not roles.is_staff_role(user):
        return None
    if not fs.is_valid():
        return None
    used = {name: value for name, value in fs.form.cleaned_data.items() if value not in (None, "", [], ())}
    return used if set(used) <= SUMMARISED_FILTERS else None


def _summary_stats(filters: dict) -> dict:
    rows = SelectionSummary.objects.filter(applications__gt=0)
    if filters.get("status"):
        rows = rows.filter(status__in=filters["status"])
    if filters.get("programme"):
        rows = rows.filter(programme__code=filters["programme"])
    grouped = rows.order_by().values("project_id").annotate(n=Sum("applications"), total=Sum("amount"))
    return {row["project_id"]: (row["n"], row["total"]) for row in grouped}


def _status(value):
    from django.db.models import Q

    return Q(status=value)


def _committed_to_caps(programme, db) -> Decimal:
    """What every application of `programme` holds of its municipality's cap (committed_to_cap): the
    application summary's budgets of the statuses that hold one, on PostgreSQL (which keeps it; a
    handful of rows), else the applications summed."""
    if connections[db].vendor == "postgresql":
        rows = ApplicationSummary.objects.using(db).filter(programme=programme)
        rows = rows.exclude(status__in=RELEASED_STATUSES)
        return rows.order_by().aggregate(s=Sum("budget"))["s"] or ZERO
    applications = Application.objects.using(db).filter(programme=programme).order_by()
    return applications.aggregate(s=Sum(committed_to_cap()))["s"] or ZERO


class CapsReport(Report):
    """Per municipality: the cap and how it was derived, what its application commits to it and what
    remains (grants.models.committed_to_cap, the rule the admin's list shows too)."""

    name = "caps"
    title = gettext_lazy("Caps per municipality")
    description = gettext_lazy(
        "Each municipality's cap, how it was derived, what is committed to it and what remains."
    )
    filterset_class = CapsFilterSet
    # On screen the cap and what is left of it; the derivation (rate, rounding, minimum) is in the
    # downloads and on the municipality's page.
    page_keys = (
        "elstat_code",
        "municipality",
        "population",
        "rule_cap",
        "override",
        "cap",
        "status",
        "committed",
        "remaining",
    )
    columns = [
        Column("elstat_code", gettext_lazy("ELSTAT code"), width=14),
        Column("municipality", gettext_lazy("Municipality"), width=30),
        Column("population", gettext_lazy("Population"), kind=INT, width=10),
        Column("census_year", gettext_lazy("Census"), width=7),
        Column("rate", gettext_lazy("€ per inhabitant"), kind=MONEY, width=10),
        Column("raw", gettext_lazy("Rate × population"), kind=MONEY, width=15),
        Column("rounded", gettext_lazy("Rounded up"), kind=MONEY, width=15),
        Column("floor", gettext_lazy("Minimum"), kind=MONEY, width=13),
        Column("rule_cap", gettext_lazy("Cap by rule"), kind=MONEY, width=15),
        Column("override", gettext_lazy("Override"), kind=MONEY, width=15),
        Column("override_reason", gettext_lazy("Reason for the override"), width=24),
        Column("cap", gettext_lazy("Cap"), kind=MONEY, width=15),
        Column("status", gettext_lazy("Application status"), width=14),
        Column("committed", gettext_lazy("Committed to the cap"), kind=MONEY, width=15),
        Column("remaining", gettext_lazy("Remaining"), kind=MONEY, width=15),
    ]

    def scoped(self, user):
        self.user = user
        return selectors.municipalities_for(user)

    def filterset(self, user, params, base=None):
        fs = super().filterset(user, params, base)
        # An invalid filterset is answered with 400 before any row is built.
        chosen = fs.form.cleaned_data.get("programme") if fs.is_valid() else None
        self.programme = chosen or Programme.objects.order_by("pk").first()
        return fs

    def _programme(self):
        if getattr(self, "programme", None) is None:
            self.programme = Programme.objects.order_by("pk").first()
        return self.programme

    def _annotated(self, qs, programme):
        # At most one application per municipality and programme (a unique constraint). Subqueries,
        # not a join: with the page's limit they run for the rows shown only.
        # Unordered: the model's ordering (by municipality name) joined the municipalities once more per row.
        application = Application.objects.filter(municipality=OuterRef("pk"), programme=programme).order_by()
        return qs.annotate(
            app_status=Subquery(application.values("status")[:1]),
            committed=Coalesce(
                Subquery(application.values(c=committed_to_cap())[:1], output_field=MONEY_FIELD), Value(ZERO)
            ),
        )

    # What a row is computed from: cap_breakdown reads the populations.
    ROW_FIELDS = (
        "pk",
        "elstat_code",
        "name",
        "population_2011",
        "population_2021",
        "app_status",
        "committed",
    )

    def row_values(self, qs, programme):
        """The municipalities in name order, as the named tuples a row is computed from: model
        instances (with the scope's regional unit and region) took two thirds of a 100,000-row
        download's time."""
        return (
            self._annotated(qs, programme)
            .select_related(None)
            .order_by("name", "pk")
            .values_list(*self.ROW_FIELDS, named=True)
        )

    def rows(self, qs, *, for_csv=False, limit=None):
        """The rows in name order; a page's are read by the database in that order (an index) and only
        they are computed, a download's are streamed a chunk at a time."""
        programme = self._programme()
        if programme is None:
            return []
        municipalities = self.row_values(qs, programme)
        if limit is not None:
            chosen = list(municipalities[:limit])
            shown = CapOverride.objects.filter(programme=programme, municipality__in=[m.pk for m in chosen])
            return list(self._rows(programme, chosen, {o.municipality_id: o for o in shown}))
        overrides = {o.municipality_id: o for o in CapOverride.objects.filter(programme=programme)}
        return self._rows(programme, municipalities.iterator(chunk_size=2000), overrides)

    def csv_stream(self, qs):
        """The CSV by PostgreSQL's COPY (as the queryset reports'), its cells computed by the database
        from cap_breakdown's rule (Programme.cap_breakdown_expressions): 100,000 rows through Python
        took 1.7 s, 2.5 times COPY of their query; these cells are copied in 0.35 s. None where
        only Python can write them (not PostgreSQL, no programme, a rule not in whole cents): then
        rows() and csv.writer do."""
        values = self.csv_values(qs)
        return formats.stream_csv_copy(self.columns, values) if values is not None else None

    def csv_values(self, qs):
        """The values query csv_stream copies, one cell per column (bench/scale.py times COPY of it)."""
        programme = self._programme()
        if (
            programme is None
            or connections[qs.db].vendor != "postgresql"
            or programme.cap_cents_expression() is None
        ):
            return None
        parts = programme.cap_breakdown_expressions()
        if qs.query.distinct:
            # The status filter (over the applications of every programme) makes the query DISTINCT,
            # and Django then selects the ordering's columns too: COPY wrote them as two more cells a
            # row, the name unescaped and the key. The same municipalities, chosen by key, need none.
            qs = qs.model._default_manager.filter(pk__in=qs.order_by().values("pk"))
        # Joined, not a subquery per cell: the status label's CASE repeated its subquery per status.
        # At most one of each per municipality and programme (unique constraints).
        joined = qs.select_related(None).annotate(
            own_application=FilteredRelation("applications", condition=Q(applications__programme=programme)),
            own_override=FilteredRelation("cap_overrides", condition=Q(cap_overrides__programme=programme)),
        )
        override = F("own_override__amount")
        cap = Coalesce(override, parts["rule_cap"], output_field=MONEY_FIELD)
        committed = Coalesce(committed_to_cap("own_application__"), Value(ZERO), output_field=MONEY_FIELD)
        cells = {
            "elstat_code": csv_safe("elstat_code"),
            "municipality": csv_safe("name"),
            "population": parts["population"],
            "census_year": Value(str(programme.cap_census_year)),
            "rate": parts["rate"],
            "raw": parts["raw"],
            "rounded": parts["rounded"],
            "floor": parts["floor"],
            "rule_cap": parts["rule_cap"],
            "override": override,
            "override_reason": csv_safe("own_override__reason"),
            "cap": cap,
            "status": choice_label("own_application__status", ApplicationStatus.choices),
            "committed": committed,
            "remaining": ExpressionWrapper(cap - committed, output_field=MONEY_FIELD),
        }
        named = {f"cell_{key}": value for key, value in cells.items()}
        return joined.order_by("name", "pk").annotate(**named).values_list(*named)

    def _rows(self, programme, municipalities, overrides):
        statuses = {value: str(label) for value, label in ApplicationStatus.choices}
        census_year = str(programme.cap_census_year)
        for m in municipalities:
            b = programme.cap_breakdown(m, override=overrides.get(m.pk))
            yield (
                m.elstat_code,
                m.name,
                b.population,
                census_year,
                b.rate,
                b.raw,
                b.rounded,
                b.floor,
                b.rule_cap,
                b.override,
                b.override_reason,
                b.cap,
                statuses.get(m.app_status, ""),
                m.committed,
                b.cap - m.committed,
            )

    def _counted(self, qs, programme):
        """(municipalities, their caps by the rule, what their applications commit or None) in one
        pass over them: the page's count and the totals read the same rows once. The caps are added
        up in whole cents (Programme.cap_cents_expression). Filtered, the programme's applications
        are joined (one per municipality) and their commitment summed in the same pass, so that the
        filter (a search over 100,000 names) runs once; unfiltered, the commitment is the
        application summary's (totals())."""
        cached = getattr(self, "_counted_for", None)
        if cached is not None and cached[0] is qs:
            return cached[1:]
        cents = programme.cap_cents_expression()
        rule = (
            Sum(cents, output_field=CENTS)
            if cents is not None
            else Sum(programme.cap_expression(overrides=False))
        )
        municipalities = qs.order_by()
        sums = {"n": Count("pk"), "s": rule}
        if qs.query.where:
            municipalities = municipalities.annotate(
                of_programme=FilteredRelation("applications", condition=Q(applications__programme=programme))
            )
            sums["committed"] = Coalesce(Sum(committed_to_cap("of_programme__")), Value(ZERO))
        found = municipalities.aggregate(**sums)
        by_rule = found["s"] or ZERO
        if cents is not None:
            by_rule = (Decimal(by_rule) / 100).quantize(ZERO)
        self._counted_for = (qs, found["n"], by_rule, found.get("committed"))
        return self._counted_for[1:]

    def count(self, qs) -> int:
        programme = self._programme()
        return self._counted(qs, programme)[0] if programme is not None else 0

    def totals(self, qs) -> dict:
        """Caps, commitments and what remains, added up by the database (the caps by
        Programme.cap_expression, the rule of cap_for)."""
        programme = self._programme()
        if programme is None:
            return {}
        overrides = CapOverride.objects.filter(programme=programme)
        if qs.query.where:  # filtered: only these municipalities' (unfiltered: every row, no IN list)
            overrides = overrides.filter(municipality__in=qs.values("pk"))
        _n, by_rule, committed = self._counted(qs, programme)
        if committed is None:  # every municipality: every application of the programme
            committed = _committed_to_caps(programme, qs.db)
        # Every cap by the rule, then the few overrides' differences from it: no subquery per row.
        rule = programme.cap_expression("municipality__", overrides=False)
        overridden = overrides.order_by().aggregate(s=Sum(F("amount") - rule))["s"] or ZERO
        cap = by_rule + overridden
        return {"cap": cap, "committed": committed, "remaining": cap - committed}

    def summary(self, qs, fs):
        programme = self._programme()
        return [(_("Programme"), f"{programme.code} — {programme.title}")] if programme else []
