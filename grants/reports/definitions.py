"""The reports, one class each, and the registry the views and the admin look them up in.

Every report starts from the scoping selectors (grants.selectors) and one FilterSet; rows, totals and
every download come from that filtered queryset."""

from decimal import Decimal

from django.db import connections
from django.db.models import Case, CharField, DecimalField, F, Func, Sum, TextField, Value, When
from django.db.models.functions import Cast, Coalesce, Concat, NullIf
from django.utils.translation import gettext_lazy as _

from grants import history, published, selectors
from grants.filters import ApplicationFilterSet, AuditEventFilterSet, SelectionFilterSet
from grants.imports.matching import MunicipalityIndex
from grants.models import ApplicationStatus, Channel, RegionCategory, SelectionSummary
from grants.models.programme import COFINANCING_FIELDS
from projects.models import CatalogueProject, Selection

from .base import Column, QuerysetReport, choice_label
from .formats import DATE, DATETIME, FORMULA_PREFIXES, INT, MONEY, PERCENT, TEXT
from .report_filtersets import OperationsFilterSet

# The published list's terms and headings: one definition with the importer's (grants.published).
PUBLISHED_STATUS = published.STATUS
PUBLISHED_HEADINGS = tuple(published.HEADINGS.values())

REGION = "municipality__regional_unit__region"


def status_label():
    return choice_label("status", ApplicationStatus.choices)


def published_beneficiary(prefix="municipality"):
    """The beneficiary as the published lists name it (grants.imports.matching's rule, so that an
    export imports back): the registry name, qualified with «ΝΟΜΟΥ …» where another municipality
    shares it. Computed by the database like every other column, so the CSV still streams by COPY."""
    qualified = MunicipalityIndex.published_names_now()
    return Case(
        *[When(**{f"{prefix}_id": pk}, then=Value(name)) for pk, name in sorted(qualified.items())],
        default=F(f"{prefix}__name"),
        output_field=CharField(),
    )


class ChosenTitles(Func):
    """The Greek titles of the projects an application chose, in code order, joined by «; » (null when
    it chose none): the open-data list's purpose. Joined by the database, so that its CSV streams by
    COPY like the other reports' instead of gathering a million titles in Python. `for_csv`: with the
    formula escape (base.csv_safe's rule) applied inside, so that the titles are joined once a row,
    not once for the test and again for the value."""

    output_field = CharField()
    _selections = f"FROM {Selection._meta.db_table} s"
    _where = "WHERE s.application_id = %(expressions)s"
    # Each title looked up by its key (OFFSET 0 keeps the lookup a lookup): joined whole, the planner
    # hashed the whole catalogue again for every operation, 0.7 ms each, 15 s for 20,000 operations.
    _titles = (
        f"CROSS JOIN LATERAL (SELECT c.title_el, c.code FROM {CatalogueProject._meta.db_table} c "
        "WHERE c.id = s.project_id OFFSET 0) p"
    )
    _prefixes = ", ".join("'" + p.replace("'", "''") + "'" for p in FORMULA_PREFIXES)
    _escaped = f"CASE WHEN substr(t, 1, 1) IN ({_prefixes}) THEN '''' || t ELSE t END"

    def __init__(self, expression, *, for_csv=False, **extra):
        super().__init__(expression, **extra)
        self.for_csv = for_csv

    def as_sql(self, compiler, connection, template=None, **extra):
        if template is None:
            joined = (
                f"SELECT string_agg(p.title_el, '; ' ORDER BY p.code) AS t {self._selections} {self._titles}"
            )
            value = self._escaped if self.for_csv else "t"
            template = f"(SELECT {value} FROM ({joined} {self._where}) joined)"
        return super().as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # No ORDER BY inside an aggregate before SQLite 3.44 (nor LATERAL): group_concat over rows
        # already sorted.
        ordered = (
            f"SELECT p.title_el AS t {self._selections} JOIN {CatalogueProject._meta.db_table} p "
            f"ON p.id = s.project_id {self._where} ORDER BY p.code"
        )
        value = self._escaped if self.for_csv else "t"
        template = f"(SELECT {value} FROM (SELECT group_concat(t, '; ') AS t FROM ({ordered})))"
        return self.as_sql(compiler, connection, template=template, **extra)


class OperationsReport(QuerysetReport):
    name = "operations"
    title = _("Operations")
    description = _("Every application with its status, beneficiary, region, budget, decision and MIS.")
    filterset_class = OperationsFilterSet
    ordering = ("municipality__name", "programme__code")
    for_municipalities = True
    columns = [
        Column("elstat_code", _("ELSTAT code"), field="municipality__elstat_code", width=14),
        Column("beneficiary", _("Beneficiary"), field="municipality__name", width=34),
        Column("region", _("Region"), field=f"{REGION}__name", width=22),
        Column("nuts2", _("NUTS2"), field=f"{REGION}__code", width=7),
        Column(
            "region_category",
            _("Region category"),
            field=lambda: choice_label(f"{REGION}__category", RegionCategory.choices),
            width=14,
            safe=True,
        ),
        Column("status", _("Status"), field=status_label, width=16, safe=True),
        Column("budget", _("Budget"), kind=MONEY, field="budget", total=True, width=16),
        Column("inclusion_date", _("Inclusion date"), kind=DATE, field="inclusion_date", width=12),
        Column("decision_ada", _("Decision ΑΔΑ"), field="decision_ada", width=16),
        Column("mis_code", _("MIS code"), field="mis_code", width=10),
    ]

    def scoped(self, user):
        return selectors.applications_for(user)


class InclusionsReport(QuerysetReport):
    """The list of included and to-be-included operations exactly as published, so that
    `import_inclusions` reads the export back unchanged."""

    name = "inclusions"
    title = _("Inclusions (published format)")
    description = _("Included and to-be-included operations in the format of the published lists.")
    filterset_class = ApplicationFilterSet
    formats = ("txt", "csv", "xlsx", "pdf", "json")
    # 'included' sorts before 'to_be_included': the published lists put the included first.
    ordering = ("status", "municipality__name")
    columns = [
        Column(
            "status",
            PUBLISHED_HEADINGS[0],
            field=lambda: Case(
                *[When(status=k, then=Value(v)) for k, v in PUBLISHED_STATUS.items()],
                output_field=CharField(),
            ),
            width=14,
            safe=True,
        ),
        Column("beneficiary", PUBLISHED_HEADINGS[1], field=published_beneficiary, width=40),
        Column(
            "budget",
            PUBLISHED_HEADINGS[2],
            kind=MONEY,
            field="budget",
            total=True,
            width=16,
            csv=published.amount,
        ),
        Column(
            "inclusion_date",
            PUBLISHED_HEADINGS[3],
            kind=DATE,
            field="inclusion_date",
            width=14,
            csv=published.date,
        ),
    ]

    def scoped(self, user):
        return selectors.applications_for(user).filter(status__in=list(PUBLISHED_STATUS))

    def page_rows(self, qs, *, limit):
        """The page's rows one status at a time, in the published order: each then reads the
        municipalities in name order until it has enough, where ordering by status and name at once
        joined and sorted every included operation (0.5 s at 100,000 applications)."""
        rows = []
        for status in sorted(PUBLISHED_STATUS):  # the order of ordering's "status"
            if len(rows) < limit:
                rows += self.rows(qs.filter(status=status), limit=limit - len(rows))
        return rows


def stream_published_text(rows):
    """«<status> <ΔΗΜΟΣ …> <1,234.56> <dd/mm/yyyy>» lines under the published heading, UTF-8."""
    yield (published.TEXT_HEADER + "\n").encode()
    for status, name, budget, date in rows:
        yield (published.text_line(status, name, budget, date) + "\n").encode()


class SelectionsReport(QuerysetReport):
    """One row per catalogue project chosen by an application: what the choices add up to."""

    name = "selections"
    title = _("Selections")
    description = _("Every catalogue project chosen by every applicant, with its amount.")
    filterset_class = SelectionFilterSet
    ordering = ("application__municipality__name", "project__code")
    for_municipalities = True
    chunk_size = 5000
    columns = [
        Column("elstat_code", _("ELSTAT code"), field="application__municipality__elstat_code", width=14),
        Column("beneficiary", _("Beneficiary"), field="application__municipality__name", width=34),
        Column(
            "status",
            _("Status"),
            field=lambda: choice_label("application__status", ApplicationStatus.choices),
            width=16,
            safe=True,
        ),
        Column("project_code", _("Project code"), field="project__code", width=10),
        Column("project", _("Project"), field="project__title_el", width=40),
        Column("category", _("Category"), field="project__category__title_el", width=24),
        Column("amount", _("Amount"), kind=MONEY, field="amount", total=True, width=16),
    ]

    def scoped(self, user):
        return selectors.selections_for(user)

    def totals(self, qs) -> dict:
        # Every selection (a staff user, no filter): the database's selection summary holds their sum
        # (grants.models.SelectionSummary), a few hundred rows instead of a million.
        if not qs.query.where and connections[qs.db].vendor == "postgresql":
            return {"amount": SelectionSummary.objects.aggregate(s=Sum("amount"))["s"] or Decimal("0.00")}
        return super().totals(qs)


class AuditTrailReport(QuerysetReport):
    name = "audit-trail"
    title = _("Audit trail")
    description = _("Every recorded change and export: who, when, what, before and after.")
    filterset_class = AuditEventFilterSet
    ordering = ("created_at", "id")
    # Before/after cells are long JSON: a page holds few events, and a PDF of thousands is unreadable.
    pdf_rows = 1000
    columns = [
        Column("time", _("Time"), kind=DATETIME, field="created_at", width=17),
        Column("actor", _("Actor"), field="actor_name", width=20),
        Column(
            "channel",
            _("Channel"),
            field=lambda: choice_label("channel", Channel.choices),
            width=9,
            safe=True,
        ),
        Column(
            "action_label",
            _("What happened"),
            field=lambda: Case(
                *[When(action=code, then=Value(label)) for code, label in history.action_labels().items()],
                default=F("action"),
                output_field=CharField(),
            ),
            width=26,
        ),
        Column("action", _("Action code"), field="action", width=20),
        Column("object", _("Object"), field="object_repr", width=28),
        Column("municipality", _("Municipality"), field="municipality__name", width=24),
        Column("before", _("Before"), field=lambda: Cast("before", TextField()), width=30),
        Column("after", _("After"), field=lambda: Cast("after", TextField()), width=30),
        Column("note", _("Note"), field="note", width=30),
    ]

    def scoped(self, user):
        return selectors.audit_events_for(user)

    def page_columns(self):
        cols = {c.key: c for c in self.columns}
        return [
            cols["time"],
            cols["actor"],
            cols["action_label"],
            cols["object"],
            cols["municipality"],
            Column("changes", _("Before → after"), width=40),
            cols["note"],
        ]

    def page_rows(self, qs, *, limit):
        """Newest first, as people read a trail, with the before → after in words (grants.history:
        the admin's rule), one change a line; the downloads keep the stored values for machines."""
        events = list(qs.order_by("-created_at", "-id")[:limit])
        names = history.names_for(events)
        return [
            (
                e.created_at,
                e.actor_name,
                history.action_label(e.action),
                e.object_repr,
                e.municipality.name if e.municipality_id else "",
                "\n".join(
                    f"{label}: {before} → {after}" for label, before, after in history.changes(e, names)
                ),
                e.note,
            )
            for e in events
        ]


class OpenDataReport(QuerysetReport):
    """The list of operations an EU managing authority publishes (Regulation (EU) 2021/1060,
    art. 49(3)): operation code, beneficiary, name, purpose, dates, cost, fund, co-financing, location."""

    name = "open-data"
    title = _("Open data: list of operations")
    description = _("Included operations with the fields a managing authority publishes.")
    filterset_class = ApplicationFilterSet
    formats = ("csv", "xlsx", "json", "pdf")
    ordering = ("municipality__name", "programme__code")
    # On screen what identifies and sizes each operation; the purpose, codes and country are in the
    # downloads (the published open-data file).
    page_keys = (
        "operation_code",
        "beneficiary",
        "operation_name",
        "start_date",
        "end_date",
        "total_cost",
        "fund",
        "cofinancing_rate",
        "region",
        "decision_ada",
    )
    columns = [
        Column("operation_code", _("Operation code (MIS)"), field="mis_code", width=10),
        Column("beneficiary", _("Beneficiary"), field="municipality__name", width=30),
        Column(
            "beneficiary_code", _("Beneficiary code (ELSTAT)"), field="municipality__elstat_code", width=14
        ),
        Column(
            "operation_name",
            _("Operation name"),
            field=lambda: Concat(
                "programme__title", Value(" — "), "municipality__name", output_field=CharField()
            ),
            width=36,
        ),
        # Escaped for the CSV by ChosenTitles itself (see expressions).
        Column(
            "purpose", _("Purpose and achievements"), field=lambda: ChosenTitles("pk"), width=50, safe=True
        ),
        Column("start_date", _("Start date"), kind=DATE, field="inclusion_date", width=11),
        Column("end_date", _("Expected end date"), kind=DATE, field="end_date", width=11),
        Column("total_cost", _("Total cost"), kind=MONEY, field="budget", total=True, width=15),
        Column("fund", _("Fund"), field="programme__fund", width=7),
        Column(
            "cofinancing_rate",
            _("Union co-financing rate"),
            kind=PERCENT,
            field=lambda: Case(
                *[
                    When(**{f"{REGION}__category": category}, then=F(f"programme__{name}"))
                    for category, name in COFINANCING_FIELDS.items()
                ],
                output_field=DecimalField(max_digits=5, decimal_places=4),
            ),
            width=9,
        ),
        Column("nuts", _("Location (NUTS2)"), field=f"{REGION}__code", width=8),
        Column("region", _("Region"), field=f"{REGION}__name", width=20),
        Column("country", _("Country"), field=lambda: Value("EL"), width=6),
        Column("decision_ada", _("Decision ΑΔΑ"), field="decision_ada", width=16),
    ]
    PURPOSE = 4

    def scoped(self, user):
        # A completed operation stays on the EU list of operations (CPR 2021/1060 art. 49(3)).
        return selectors.applications_for(user).filter(
            status__in=[ApplicationStatus.INCLUDED, ApplicationStatus.COMPLETED]
        )

    def expressions(self, *, for_csv):
        exprs = super().expressions(for_csv=for_csv)
        if not for_csv:
            # No project chosen reads as empty text.
            exprs[self.PURPOSE] = Coalesce(exprs[self.PURPOSE], Value(""))
            return exprs
        exprs[self.PURPOSE] = ChosenTitles("pk", for_csv=True)  # null or titles, never empty text
        # The published file keeps its bytes now that COPY writes it: COPY writes an empty text as
        # «""» where csv.writer wrote an empty cell, and a null as an empty cell.
        return [
            NullIf(expr, Value("")) if col.kind == TEXT and i != self.PURPOSE else expr
            for i, (col, expr) in enumerate(zip(self.columns, exprs, strict=True))
        ]


from .absorption_report import AbsorptionReport  # noqa: E402
from .aggregates import BudgetsReport, CapsReport, PopularityReport  # noqa: E402

REPORTS = {
    r.name: r
    for r in [
        OperationsReport,
        InclusionsReport,
        PopularityReport,
        BudgetsReport,
        CapsReport,
        AuditTrailReport,
        OpenDataReport,
        SelectionsReport,
        AbsorptionReport,
    ]
}
__all__ = ["REPORTS", "INT", "MONEY", "TEXT", "stream_published_text"]
