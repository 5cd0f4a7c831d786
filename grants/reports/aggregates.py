"""Reports that aggregate: popularity of catalogue projects, budgets by region and status, caps per
municipality. Each builds its short list in a fixed number of queries."""

from decimal import Decimal

from django.db.models import Count, DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grants import caps, selectors
from grants.filters import ApplicationFilterSet
from grants.formatting import format_eur, format_int, format_percent
from grants.models import (
    Application,
    ApplicationStatus,
    CapOverride,
    Programme,
    RegionCategory,
    committed_to_cap,
)
from projects.models import CatalogueProject, Selection

from .base import Column, ListReport
from .formats import INT, MONEY, PERCENT
from .report_filtersets import CapsFilterSet

ZERO = Decimal("0.00")
REGION = "municipality__regional_unit__region"
MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)
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

    def projects(self, qs) -> tuple[int, list[tuple], Decimal]:
        """(applicants, [(project, applicants who chose it, share, amount)], amount) over the filtered
        applications `qs`: every active project and every project chosen, most chosen first. The
        page, its downloads and the API's `reports/popularity/` all read this."""
        applicants = qs.count()
        chosen = Selection.objects.filter(application__in=qs.values("pk"))
        stats = {
            row["project_id"]: row
            for row in chosen.values("project_id").annotate(
                n=Count("application_id", distinct=True), total=Sum("amount")
            )
        }
        listed = []
        for p in CatalogueProject.objects.select_related("category").order_by("code"):
            s = stats.get(p.pk)
            if s is None and not p.active:
                continue
            n, total = (s["n"], s["total"]) if s else (0, ZERO)
            share = (Decimal(n) / applicants).quantize(Decimal("0.0001")) if applicants else ZERO
            listed.append((p, n, share, total))
        listed.sort(key=lambda r: (-r[1], r[0].code))
        return applicants, listed, chosen.aggregate(s=Sum("amount"))["s"] or ZERO

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

    def groups(self, qs):
        """Applications and budgets per region and status of the filtered applications `qs`: the
        page's rows, and the API's `reports/budgets/` added up per region."""
        region = REGION
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
        agg = qs.aggregate(n=Count("pk"), s=Sum("budget"))
        return rows, {"applications": agg["n"], "budget": agg["s"] or ZERO}

    def commitment(self, fs):
        """The programme's committed (included) budget against its total, scoped like everything else."""
        code = fs.form.cleaned_data.get("programme") if fs.is_valid() else None
        programmes = Programme.objects.all()
        if code:
            programmes = programmes.filter(code=code)
        total = programmes.aggregate(s=Sum("total_budget"))["s"] or ZERO
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

    def summary(self, qs, fs):
        c = self.commitment(fs)
        return [
            (_("Programme total"), format_eur(c["total"])),
            (_("Committed (included)"), format_eur(c["committed"])),
            (_("Committed share"), format_percent(c["share"])),
            (_("Remaining"), format_eur(c["remaining"])),
            (_("To be included (not yet committed)"), format_eur(c["pipeline"])),
        ]


def _status(value):
    from django.db.models import Q

    return Q(status=value)


class CapsReport(ListReport):
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
        Column("elstat_code", gettext_lazy("ELSTAT code"), width=8),
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

    def build(self, qs):
        programme = getattr(self, "programme", None) or Programme.objects.order_by("pk").first()
        if programme is None:
            return [], {}
        overrides = {o.municipality_id: o for o in CapOverride.objects.filter(programme=programme)}
        # At most one application per municipality and programme (a unique constraint).
        application = Application.objects.filter(municipality=OuterRef("pk"), programme=programme)
        municipalities = qs.annotate(
            app_status=Subquery(application.values("status")[:1]),
            committed=Coalesce(
                Subquery(application.values(c=committed_to_cap())[:1], output_field=MONEY_FIELD), Value(ZERO)
            ),
        )
        statuses = dict(ApplicationStatus.choices)
        rows = []
        for m in municipalities.order_by("name"):
            b = programme.cap_breakdown(m, override=overrides.get(m.pk))
            rows.append(
                (
                    m.elstat_code,
                    m.name,
                    b.population,
                    str(b.census_year),
                    b.rate,
                    b.raw,
                    b.rounded,
                    b.floor,
                    b.rule_cap,
                    b.override,
                    b.override_reason,
                    b.cap,
                    str(statuses.get(m.app_status, "")),
                    m.committed,
                    b.cap - m.committed,
                )
            )
        totals = {
            "cap": sum((r[11] for r in rows), ZERO),
            "committed": sum((r[13] for r in rows), ZERO),
            "remaining": sum((r[14] for r in rows), ZERO),
        }
        self.programme = programme
        return rows, totals

    def summary(self, qs, fs):
        self._cached(qs)
        programme = getattr(self, "programme", None)
        return [(_("Programme"), f"{programme.code} — {programme.title}")] if programme else []
