"""Absorption («απορρόφηση»): how much of an operation's budget is contracted, declared, verified and
paid. One definition of each figure, read by the `/reports/absorption` page and downloads, the
dashboard's chart and the API's `reports/absorption/`:

- included budget: the decision's version 1 (the inclusion); the application's budget when no
  version was recorded (operations included before versions existed);
- current budget: Application.budget (the latest approved version);
- contracted: the contracts' amounts; declared: declarations not rejected; verified: the accepted
  amounts of verified declarations; paid: authorised payments (prepared ones are not paid yet).

Operations count while «Ενταγμένη» or «Ολοκληρωμένη»; each figure is a database sum per operation
(one query for every operation), added up per group and ordered by the database too, so that a page
reads only its rows; regions and programmes sum each table once per group (_summed_by_group()); the
totals sum each figure's own table over the operations (summed()).

On PostgreSQL the four money figures are read from the summaries the database keeps
(grants.models.AbsorptionSummary, one row per operation, and AbsorptionMonth for the timeline; triggers
of migration 0024), so a page joins one row per operation instead of summing 150,000 contracts,
300,000 declarations and the payments; elsewhere (SQLite, the demo) the tables are summed. Over every
application (whole()), the totals, the regions, the programmes and their counts are read from the
application summary (per programme, status and regional unit: included budget, budget and the money
rows added up, migration 0028), a few thousand rows instead of 100,000 operations joined to their
regions."""

import datetime
from decimal import Decimal

from django.db import connections
from django.db.models import Case, CharField, DecimalField, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Cast, Coalesce, Concat, TruncMonth
from django.utils.translation import gettext_lazy as _

from grants.delivery import decisions
from grants.models import (
    AbsorptionMonth,
    AbsorptionSummary,
    ApplicationStatus,
    ApplicationSummary,
    Contract,
    DecisionVersion,
    DeclarationState,
    ExpenditureDeclaration,
    Payment,
    PaymentState,
    Programme,
)
from grants.models.programme import MONEY

ZERO = Decimal("0.00")
MONEY_FIELD = DecimalField(**MONEY)
ABSORBING = (ApplicationStatus.INCLUDED, ApplicationStatus.COMPLETED)
FIGURES = ("included_budget", "current_budget", "contracted", "declared", "verified", "paid")
# The four totals of the chart, in the order money flows.
FLOW = ("contracted", "declared", "verified", "paid")
GROUPS = {
    "operation": _("Operation"),
    "municipality": _("Municipality"),
    "region": _("Region"),
    "programme": _("Programme"),
}
REGION = "municipality__regional_unit__region"


def _sum_of(model, field, condition=None):
    rows = (
        model.objects.filter(condition or Q(), application=OuterRef("pk"))
        .order_by()
        .values("application")
        .annotate(s=Sum(field))
        .values("s")
    )
    return Coalesce(Subquery(rows, output_field=MONEY_FIELD), Value(ZERO), output_field=MONEY_FIELD)


def declared_q(prefix=""):
    return ~Q(**{f"{prefix}state": DeclarationState.REJECTED})


def verified_q(prefix=""):
    return Q(**{f"{prefix}state": DeclarationState.VERIFIED})


def paid_q(prefix=""):
    return Q(**{f"{prefix}state": PaymentState.AUTHORISED})


def summarised(queryset) -> bool:
    """Whether the database keeps the absorption summaries (PostgreSQL's triggers, migration 0024)."""
    return connections[queryset.db].vendor == "postgresql"


def whole(applications) -> bool:
    """Whether `applications` are every application (scoped to all, filtered by nothing) where the
    database keeps the application summary: then its per programme, status and regional unit rows
    (ApplicationSummary, migration 0028) hold the figures of regions, programmes and the totals."""
    query = applications.query
    return summarised(applications) and not query.where and not query.is_sliced


# The summary's figures, named as FIGURES.
_SUMMARY_FIGURES = {
    "included_budget": "included_budget",
    "current_budget": "budget",
    **{figure: figure for figure in FLOW},
}
_SUMMARY_KEYS = {
    "region": ("regional_unit__region__code", "regional_unit__region__name"),
    "programme": ("programme__code", "programme__title"),
}


def _summary(applications):
    """The application summary's rows of the operations (absorbing statuses) of `applications`."""
    return ApplicationSummary.objects.using(applications.db).filter(status__in=ABSORBING, applications__gt=0)


def _from_summary(applications, group: str, limit: int | None, offset: int) -> list[tuple]:
    """rows() of regions or programmes of every application, summed from the summary's rows."""
    key_field, name_field = _SUMMARY_KEYS[group]
    sums = {f"{figure}_sum": Sum(column) for figure, column in _SUMMARY_FIGURES.items()}
    found = (
        _summary(applications)
        .order_by()
        .values(key_field, name_field)
        .annotate(**sums)
        .values_list(key_field, name_field, *sums)
        .order_by(key_field)
    )
    return list(found[offset : None if limit is None else offset + limit])


def _money(applications) -> dict:
    """The four money figures of each operation as expressions: its summary row's (an operation with
    no money has none: zero), or its records summed where no summary is kept."""
    if summarised(applications):
        return {
            figure: Coalesce(F(f"absorption__{figure}"), Value(ZERO), output_field=MONEY_FIELD)
            for figure in FLOW
        }
    return {
        "contracted": _sum_of(Contract, "amount"),
        "declared": _sum_of(ExpenditureDeclaration, "amount", declared_q()),
        "verified": _sum_of(ExpenditureDeclaration, "accepted_amount", verified_q()),
        "paid": _sum_of(Payment, "amount", paid_q()),
    }


def operations(applications):
    """The absorbing operations of `applications` (scoped and filtered) with their six figures."""
    return (
        applications.filter(status__in=ABSORBING)
        .annotate(
            included_budget=Coalesce(decisions.inclusion_budget(), F("budget"), output_field=MONEY_FIELD),
            current_budget=F("budget"),
            **_money(applications),
        )
        .order_by()
    )


_KEYS = {
    "operation": ("pk", "municipality__name"),
    "municipality": ("municipality__elstat_code", "municipality__name"),
    "region": (f"{REGION}__code", f"{REGION}__name"),
    "programme": ("programme__code", "programme__title"),
}


def _grouped(applications, group: str):
    """One row per group with its six figures summed by the database, in the order rows() returns:
    operations by their label («name (MIS)») then id as text, the other groups by key."""
    key_field, name_field = _KEYS[group]
    ops = operations(applications)
    if group == "operation":
        label = Case(
            When(Q(mis_code="") | Q(mis_code__isnull=True), then=F("municipality__name")),
            default=Concat("municipality__name", Value(" ("), "mis_code", Value(")")),
            output_field=CharField(),
        )
        key = Cast("pk", CharField())
        return ops.values_list(key, label, *FIGURES).order_by(label, key)
    sums = {f"{figure}_sum": Sum(figure) for figure in FIGURES}
    # One name per key (an ELSTAT code, a region's or programme's code): grouped by both is by key.
    return (
        ops.values(key_field, name_field)
        .annotate(**sums)
        .values_list(key_field, name_field, *sums)
        .order_by(key_field)
    )


# Groups of many operations each, summed by _summed_by_group(). Operations and municipalities (about
# one operation each) stay with _grouped(): ordered by key, a page of them runs its per-operation
# subqueries for its own rows only (75 ms); _summed_by_group() scans each table whole.
_FEW = ("region", "programme")


def _summed_by_group(applications, group: str, limit: int | None, offset: int) -> list[tuple]:
    """rows() of regions or programmes, in one query that reads each money table once: the page's
    groups (b) first, then each table joined to their operations (shown) and summed per group, the
    sums joined by key (a code, never empty). Summing per operation in correlated subqueries, then
    per group, ran every subquery once per operation (2.5 s for the programmes at 20,000 operations);
    summing per operation first spilled 20,000 numeric sums per table to disk."""
    if whole(applications):
        return _from_summary(applications, group, limit, offset)
    ops, ops_sql, ops_params = _keyed(applications, *_KEYS[group])
    if summarised(applications):
        return _summary_by_group(ops, ops_sql, ops_params, limit, offset)
    contract, declaration = Contract._meta.db_table, ExpenditureDeclaration._meta.db_table
    payment, version = Payment._meta.db_table, DecisionVersion._meta.db_table
    page = "" if limit is None else " LIMIT %s"
    # One name per key (an ELSTAT code, a region's or programme's code): grouped by both is by key.
    # The page's groups first (b), then each table summed over their operations only.
    sql = f"""
        WITH ops AS MATERIALIZED ({ops_sql}),
        b AS MATERIALIZED (
              SELECT ops.k, ops.n, SUM(COALESCE(v.budget, ops.budget_)) AS included,
                     SUM(ops.budget_) AS current
              FROM ops LEFT JOIN {version} v ON v.application_id = ops.op AND v.version = 1
              GROUP BY ops.k, ops.n ORDER BY ops.k{page} OFFSET %s),
        shown AS MATERIALIZED (SELECT ops.op, ops.k FROM ops WHERE ops.k IN (SELECT k FROM b))
        SELECT b.k, b.n, b.included, b.current, c.s, d.declared, d.verified, p.s
        FROM b
        LEFT JOIN (SELECT shown.k, SUM(t.amount) AS s
                   FROM {contract} t JOIN shown ON t.application_id = shown.op
                   GROUP BY shown.k) c ON c.k = b.k
        LEFT JOIN (SELECT shown.k, SUM(t.amount) FILTER (WHERE t.state <> %s) AS declared,
                          SUM(t.accepted_amount) FILTER (WHERE t.state = %s) AS verified
                   FROM {declaration} t JOIN shown ON t.application_id = shown.op
                   GROUP BY shown.k) d ON d.k = b.k
        LEFT JOIN (SELECT shown.k, SUM(t.amount) AS s
                   FROM {payment} t JOIN shown ON t.application_id = shown.op
                   WHERE t.state = %s
                   GROUP BY shown.k) p ON p.k = b.k
        ORDER BY b.k"""
    params = [*ops_params, *([] if limit is None else [limit]), offset]
    params += [
        DeclarationState.REJECTED.value,
        DeclarationState.VERIFIED.value,
        PaymentState.AUTHORISED.value,
    ]
    with connections[ops.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _keyed(applications, key_field, name_field):
    """The absorbing operations as (op, budget_, k, n): the queryset and its SQL."""
    ops = (
        applications.filter(status__in=ABSORBING)
        .order_by()
        .values(op=F("pk"), budget_=F("budget"), k=F(key_field), n=F(name_field))
    )
    return (ops, *ops.query.sql_with_params())


def _summary_by_group(ops, ops_sql, ops_params, limit, offset) -> list[tuple]:
    """_summed_by_group() from the operations' summary rows: one join of one row per operation."""
    version, summary = DecisionVersion._meta.db_table, AbsorptionSummary._meta.db_table
    page = "" if limit is None else " LIMIT %s"
    sql = f"""
        WITH ops AS MATERIALIZED ({ops_sql})
        SELECT ops.k, ops.n, SUM(COALESCE(v.budget, ops.budget_)), SUM(ops.budget_),
               SUM(s.contracted), SUM(s.declared), SUM(s.verified), SUM(s.paid)
        FROM ops LEFT JOIN {version} v ON v.application_id = ops.op AND v.version = 1
        LEFT JOIN {summary} s ON s.application_id = ops.op
        GROUP BY ops.k, ops.n ORDER BY ops.k{page} OFFSET %s"""
    with connections[ops.db].cursor() as cursor:
        cursor.execute(sql, [*ops_params, *([] if limit is None else [limit]), offset])
        return cursor.fetchall()


def rows(applications, group: str = "operation", *, limit: int | None = None, offset: int = 0) -> list[dict]:
    """One dict per group: key, name, the six figures; sorted by key (operations by beneficiary).
    Summed and ordered by the database, so a page (`offset`, `limit`) reads only the rows it shows."""
    if group not in _FEW:
        found = _grouped(applications, group)
        if limit is not None:
            found = found[offset : offset + limit]
        elif offset:
            found = found[offset:]
    else:
        found = _summed_by_group(applications, group, limit, offset)
    return [
        {
            "key": str(key),
            "name": name,
            **{f: v if v is not None else ZERO for f, v in zip(FIGURES, figures, strict=True)},
        }
        for key, name, *figures in found
    ]


def count(applications, group: str = "operation") -> int:
    """How many rows rows() returns, counted by the database."""
    if whole(applications) and group in ("operation", *_SUMMARY_KEYS):
        rows = _summary(applications).order_by()
        if group == "operation":
            return rows.aggregate(n=Sum("applications"))["n"] or 0
        return rows.values(_SUMMARY_KEYS[group][0]).distinct().count()
    if group == "operation":
        # The operations themselves: their figures' joins and subqueries change no count.
        return applications.filter(status__in=ABSORBING).order_by().count()
    return applications.filter(status__in=ABSORBING).order_by().values(_KEYS[group][0]).distinct().count()


class Pages:
    """rows() as a sequence a paginator counts and slices (the API's), each by the database."""

    def __init__(self, applications, group: str = "operation"):
        self.applications, self.group = applications, group

    def count(self) -> int:
        return count(self.applications, self.group)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("Pages are read by slices")
        start = index.start or 0
        limit = None if index.stop is None else max(index.stop - start, 0)
        return rows(self.applications, self.group, limit=limit, offset=start)


def summed(applications) -> dict:
    """The six figures over every operation of `applications`: rows()'s totals. Each figure summed
    from its own table over the operations (a handful of queries whatever their number), not per
    operation: the included budget is version 1's, or the budget where no version was recorded."""
    ops = applications.filter(status__in=ABSORBING)
    if whole(applications):
        found = _summary(applications).aggregate(
            **{figure: Sum(column) for figure, column in _SUMMARY_FIGURES.items()}
        )
        return {figure: found[figure] if found[figure] is not None else ZERO for figure in FIGURES}
    if summarised(applications):
        # One pass over the operations, their version 1 and their summary rows.
        (found,) = _summary_by_group(
            *_keyed(applications.annotate(_all=Value(1)), "_all", "_all"), limit=None, offset=0
        )
        return {figure: v if v is not None else ZERO for figure, v in zip(FIGURES, found[2:], strict=True)}
    ids = ops.values("pk")
    inclusions = DecisionVersion.objects.filter(version=1)
    budgets = ops.aggregate(
        current=Sum("budget"),
        unversioned=Sum("budget", filter=~Q(pk__in=inclusions.values("application_id"))),
    )
    versioned = inclusions.filter(application__in=ids).aggregate(s=Sum("budget"))["s"]
    declarations = ExpenditureDeclaration.objects.filter(application__in=ids).aggregate(
        declared=Sum("amount", filter=declared_q()), verified=Sum("accepted_amount", filter=verified_q())
    )
    found = {
        "included_budget": (budgets["unversioned"] or ZERO) + (versioned or ZERO),
        "current_budget": budgets["current"],
        "contracted": Contract.objects.filter(application__in=ids).aggregate(s=Sum("amount"))["s"],
        "declared": declarations["declared"],
        "verified": declarations["verified"],
        "paid": Payment.objects.filter(paid_q(), application__in=ids).aggregate(s=Sum("amount"))["s"],
    }
    return {figure: found[figure] or ZERO for figure in FIGURES}


def totals(found: list[dict]) -> dict:
    return {figure: sum((r[figure] for r in found), ZERO) for figure in FIGURES}


def programme_total(applications) -> Decimal:
    """The denominator of every share: the total budget of the programmes of the operations shown
    (of every programme when none is)."""
    if whole(applications):
        codes = _summary(applications).order_by().values("programme_id").distinct()
    else:
        codes = applications.filter(status__in=ABSORBING).order_by().values("programme_id").distinct()
    total = Programme.objects.filter(pk__in=codes).aggregate(s=Sum("total_budget"))["s"]
    if total is None:
        total = Programme.objects.aggregate(s=Sum("total_budget"))["s"]
    return total or ZERO


def share(amount: Decimal, total: Decimal) -> Decimal:
    return (amount / total).quantize(Decimal("0.0001")) if total else ZERO


def timeline(applications) -> list[tuple[datetime.date, dict]]:
    """(month, {figure: running total}) for the four flow figures, month by month: contracts by
    signature, declarations when declared, verification when verified, payments when paid. The last
    month's totals equal rows()'s totals. Every application's (the staff's dashboard) is read from the
    months the database keeps (AbsorptionMonth), a few hundred rows."""
    by_month: dict[datetime.date, dict] = {}
    if summarised(applications) and not applications.query.where and not applications.query.is_sliced:
        months = (
            AbsorptionMonth.objects.filter(status__in=ABSORBING)
            .order_by()
            .values_list("month")
            .annotate(n=Sum("records"), **{f: Sum(f) for f in FLOW})
        )
        # A month whose records were all deleted keeps its row, at zero: it is no month.
        for month, n, *figures in months:
            if n:
                by_month[month] = dict(zip(FLOW, figures, strict=True))
        return _running(by_month)
    ids = applications.filter(status__in=ABSORBING).values("pk")
    series = {
        "contracted": Contract.objects.filter(application__in=ids).annotate(m=TruncMonth("signed_on")),
        "declared": ExpenditureDeclaration.objects.filter(declared_q(), application__in=ids).annotate(
            m=TruncMonth("declared_at")
        ),
        "verified": ExpenditureDeclaration.objects.filter(verified_q(), application__in=ids).annotate(
            m=TruncMonth("verified_at")
        ),
        "paid": Payment.objects.filter(paid_q(), application__in=ids).annotate(m=TruncMonth("paid_on")),
    }
    amounts = {"verified": "accepted_amount"}
    for figure, qs in series.items():
        for month, total in qs.order_by().values_list("m").annotate(s=Sum(amounts.get(figure, "amount"))):
            month = month.date() if isinstance(month, datetime.datetime) else month
            by_month.setdefault(month, dict.fromkeys(FLOW, ZERO))[figure] += total or ZERO
    return _running(by_month)


def _running(by_month: dict) -> list[tuple[datetime.date, dict]]:
    running, out = dict.fromkeys(FLOW, ZERO), []
    for month in sorted(by_month):
        for figure in FLOW:
            running[figure] += by_month[month][figure]
        out.append((month, dict(running)))
    return out
