"""Absorption («απορρόφηση»): how much of an operation's budget is contracted, declared, verified and
paid. One definition of each figure, read by the `/reports/absorption` page and downloads, the
dashboard's chart and the API's `reports/absorption/`:

- included budget: the decision's version 1 (the inclusion); the application's budget when no
  version was recorded (operations included before versions existed);
- current budget: Application.budget (the latest approved version);
- contracted: the contracts' amounts; declared: declarations not rejected; verified: the accepted
  amounts of verified declarations; paid: authorised payments (prepared ones are not paid yet).

Operations count while «Ενταγμένη» or «Ολοκληρωμένη»; each figure is a database sum per operation
(one query for every operation), added up per group here."""

import datetime
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils.translation import gettext_lazy as _

from grants.delivery import decisions
from grants.models import (
    ApplicationStatus,
    Contract,
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


def operations(applications):
    """The absorbing operations of `applications` (scoped and filtered) with their six figures."""
    return (
        applications.filter(status__in=ABSORBING)
        .annotate(
            included_budget=Coalesce(decisions.inclusion_budget(), F("budget"), output_field=MONEY_FIELD),
            current_budget=F("budget"),
            contracted=_sum_of(Contract, "amount"),
            declared=_sum_of(ExpenditureDeclaration, "amount", declared_q()),
            verified=_sum_of(ExpenditureDeclaration, "accepted_amount", verified_q()),
            paid=_sum_of(Payment, "amount", paid_q()),
        )
        .order_by()
    )


_KEYS = {
    "operation": ("pk", "municipality__name"),
    "municipality": ("municipality__elstat_code", "municipality__name"),
    "region": (f"{REGION}__code", f"{REGION}__name"),
    "programme": ("programme__code", "programme__title"),
}


def rows(applications, group: str = "operation") -> list[dict]:
    """One dict per group: key, name, the six figures; sorted by key (operations by beneficiary)."""
    key_field, name_field = _KEYS[group]
    found: dict = {}
    values = operations(applications).values_list(key_field, name_field, "mis_code", *FIGURES)
    for key, name, mis, *figures in values:
        row = found.get(key)
        if row is None:
            label = f"{name} ({mis})" if group == "operation" and mis else name
            row = found[key] = {"key": str(key), "name": label, **dict.fromkeys(FIGURES, ZERO)}
        for figure, value in zip(FIGURES, figures, strict=True):
            row[figure] += value or ZERO
    ordered = sorted(
        found.values(), key=lambda r: (r["name"], r["key"]) if group == "operation" else r["key"]
    )
    return ordered


def totals(found: list[dict]) -> dict:
    return {figure: sum((r[figure] for r in found), ZERO) for figure in FIGURES}


def programme_total(applications) -> Decimal:
    """The denominator of every share: the total budget of the programmes of the operations shown
    (of every programme when none is)."""
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
    month's totals equal rows()'s totals."""
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
    by_month: dict[datetime.date, dict] = {}
    for figure, qs in series.items():
        for month, total in qs.order_by().values_list("m").annotate(s=Sum(amounts.get(figure, "amount"))):
            month = month.date() if isinstance(month, datetime.datetime) else month
            by_month.setdefault(month, dict.fromkeys(FLOW, ZERO))[figure] += total or ZERO
    running, out = dict.fromkeys(FLOW, ZERO), []
    for month in sorted(by_month):
        for figure in FLOW:
            running[figure] += by_month[month][figure]
        out.append((month, dict(running)))
    return out
