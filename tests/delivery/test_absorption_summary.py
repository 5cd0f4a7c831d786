"""The absorption summaries are kept by PostgreSQL itself: whatever writes contracts, declarations or
payments, or moves an application (the services, the workflow, bulk SQL, COPY), each operation's row
equals the sums of its records and each month's row the money that flowed in it, so the absorption
report, its API and the dashboard's timeline read the same numbers either way."""

import datetime
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from grants.delivery import absorption, declarations, payments
from grants.models import (
    AbsorptionMonth,
    AbsorptionSummary,
    Application,
    Contract,
    ExpenditureDeclaration,
    Payment,
)

from .conftest import make_contract, make_declaration

FLOW = ("contracted", "declared", "verified", "paid")
# Each figure from its own table, as grants.delivery.absorption defines it: (model, amount, condition, date).
SOURCES = {
    "contracted": (Contract, "amount", Q(), "signed_on"),
    "declared": (ExpenditureDeclaration, "amount", ~Q(state="rejected"), "declared_at"),
    "verified": (ExpenditureDeclaration, "accepted_amount", Q(state="verified"), "verified_at"),
    "paid": (Payment, "amount", Q(state="authorised"), "paid_on"),
}


def _nonzero(table: dict) -> dict:
    return {k: v for k, v in table.items() if any(v)}


def computed() -> dict:
    """application → (contracted, declared, verified, paid), summed from the records."""
    out = defaultdict(lambda: [Decimal(0)] * 4)
    for i, (model, amount, condition, _date) in enumerate(SOURCES.values()):
        for app, s in (
            model.objects.filter(condition).order_by().values_list("application").annotate(s=Sum(amount))
        ):
            out[app][i] += s or 0
    return _nonzero({k: tuple(v) for k, v in out.items()})


def summarised() -> dict:
    return _nonzero(
        {
            r.application_id: (r.contracted, r.declared, r.verified, r.paid)
            for r in AbsorptionSummary.objects.all()
        }
    )


def computed_months() -> dict:
    """(programme, status, month) → how many records flowed, and the four flows, from the records
    (months as TruncMonth reads them)."""
    out = defaultdict(lambda: [0] + [Decimal(0)] * 4)
    for i, (model, amount, condition, date) in enumerate(SOURCES.values(), start=1):
        rows = (
            model.objects.filter(condition)
            .annotate(m=TruncMonth(date))
            .order_by()
            .values_list("application__programme_id", "application__status", "m")
            .annotate(n=Count("pk"), s=Sum(amount))
        )
        for programme, status, month, n, s in rows:
            month = month.date() if isinstance(month, datetime.datetime) else month
            out[(programme, status, month)][0] += n
            out[(programme, status, month)][i] += s or 0
    return _nonzero({k: tuple(v) for k, v in out.items()})


def summarised_months() -> dict:
    return _nonzero(
        {
            (r.programme_id, r.status, r.month): (r.records, r.contracted, r.declared, r.verified, r.paid)
            for r in AbsorptionMonth.objects.all()
        }
    )


def assert_kept():
    from tests.test_application_summary import counted
    from tests.test_application_summary import summarised as per_region

    assert summarised() == computed()
    assert summarised_months() == computed_months()
    # The same money, and the included budgets, per programme, status and regional unit.
    assert per_region() == counted()


@pytest.fixture
def two_operations(money_a, included_b, pyli_user, officer, approver):
    contract = make_contract(included_b, pyli_user, project="T03", amount="12000.50")
    line = make_declaration(contract, pyli_user, "7000.25")
    declarations.declaration_act(
        declaration=line, action="verify", actor=officer, accepted_amount="6000.25", note="ΦΠΑ"
    )
    payment = payments.payment_prepare(
        application=included_b, amount="3000.10", reference="Β-1", actor=officer
    )
    payments.payment_act(
        payment=payment, action="authorise", actor=approver, paid_on=datetime.date(2026, 1, 5)
    )
    return money_a["application"], included_b


def test_the_services_keep_both_summaries(two_operations, money_a, officer):
    a, b = two_operations
    assert_kept()
    assert summarised()[a.pk] == (
        Decimal("30000.00"),
        Decimal("15000.00"),
        Decimal("9000.00"),
        Decimal("4000.00"),
    )
    # A declaration verified later moves money into another month's «verified».
    declarations.declaration_act(
        declaration=money_a["pending"], action="verify", actor=officer, accepted_amount="4500.00", note="ΦΠΑ"
    )
    assert_kept()
    assert summarised()[a.pk][2] == Decimal("13500.00")
    # An application that leaves the absorbing statuses takes its months with it.
    Application.objects.filter(pk=b.pk).update(status="completed")
    assert {status for _p, status, _m in summarised_months()} == {"included", "completed"}
    assert_kept()
    Application.objects.filter(pk=b.pk).update(status="included")
    assert {status for _p, status, _m in summarised_months()} == {"included"}
    assert_kept()


def test_bulk_sql_and_copy_are_summarised(two_operations, programme, kalamata_user):
    a, b = two_operations
    with connection.cursor() as cursor:
        cursor.execute("UPDATE grants_contract SET amount = amount * 2, signed_on = signed_on - 40")
        cursor.execute(
            "UPDATE grants_expendituredeclaration SET state = 'verified', accepted_amount = amount / 2, "
            "verified_at = declared_at + interval '70 days' WHERE state = 'submitted'"
        )
        cursor.execute(
            "UPDATE grants_payment SET state = 'authorised', authorised_by_id = %s, paid_on = "
            "'2026-02-28' WHERE state = 'prepared'",
            [kalamata_user.pk],
        )
        cursor.execute("UPDATE grants_application SET status = 'completed' WHERE id = %s", [a.pk])
        columns = (
            "application_id, project_id, contractor_name, contractor_afm, amount, signed_on, adam, "
            "procedure, created_by_id, created_at"
        )
        project = Contract.objects.filter(application=b).values_list("project_id", flat=True)[0]
        with cursor.cursor.copy(f"COPY grants_contract ({columns}) FROM STDIN") as copy:
            for i in range(3):
                copy.write_row(
                    (b.pk, project, "X", "094014201", f"{100 + i}.10", f"2024-0{i + 1}-15", f"24SYMV9{i:08d}",
                     "open", kalamata_user.pk, "2024-01-01 00:00+00")
                )  # fmt: skip
        cursor.execute("DELETE FROM grants_payment WHERE reference = 'Β-1'")
        cursor.execute("DELETE FROM grants_expendituredeclaration WHERE state = 'rejected'")
        # A verified declaration without its time counts in a month of its own (NULL), as TruncMonth reads it.
        cursor.execute(
            "UPDATE grants_expendituredeclaration SET verified_at = NULL WHERE id = "
            "(SELECT min(id) FROM grants_expendituredeclaration WHERE state = 'verified')"
        )
    assert None in {month for _p, _s, month in summarised_months()}
    assert_kept()


def test_the_pages_figures_equal_the_records(two_operations):
    """rows(), summed() and timeline() read the summaries: the same figures as the records'."""
    apps = Application.objects.all()
    expected = computed()
    for row in absorption.rows(apps, "operation"):
        assert tuple(row[f] for f in FLOW) == expected[int(row["key"])]
    totals = absorption.summed(apps)
    assert tuple(totals[f] for f in FLOW) == tuple(sum(v[i] for v in expected.values()) for i in range(4))
    for group in ("municipality", "region", "programme"):
        assert absorption.totals(absorption.rows(apps, group)) == totals
    months = absorption.timeline(apps)
    assert months[-1][1] == {f: totals[f] for f in FLOW}
    assert months == expected_timeline()
    # The payments' months leave the timeline with them (their rows stay, at zero records).
    paid_in = {m for (_p, _s, m), v in computed_months().items() if v[4] and not any(v[1:4])}
    Payment.objects.all().delete()
    assert paid_in and not paid_in & {month for month, _f in absorption.timeline(apps)}
    assert absorption.timeline(apps) == expected_timeline()


def expected_timeline():
    by_month = defaultdict(lambda: [Decimal(0)] * 4)
    for (_p, status, month), (_n, *values) in computed_months().items():
        if status in ("included", "completed"):
            by_month[month] = [x + y for x, y in zip(by_month[month], values, strict=True)]
    running, out = [Decimal(0)] * 4, []
    for month in sorted(by_month):
        running = [x + y for x, y in zip(running, by_month[month], strict=True)]
        out.append((month, dict(zip(FLOW, running, strict=True))))
    return out


def test_versions_1_and_moves_keep_the_included_budgets_per_region(two_operations, kalamata, region):
    """The included budget is version 1's where there is one: writing, changing and deleting versions
    by SQL, changing budgets and moving a municipality keep the per-region summary equal to the
    applications' own figures."""
    from grants.models import DecisionVersion, RegionalUnit

    a, b = two_operations
    assert DecisionVersion.objects.filter(application=a, version=1).exists()
    assert_kept()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE grants_application SET budget = budget + 1000 WHERE id = %s", [a.pk])
        assert_kept()
        cursor.execute(
            "UPDATE grants_decisionversion SET budget = budget / 2 WHERE application_id = %s", [a.pk]
        )
        assert_kept()
        cursor.execute("DELETE FROM grants_decisionversion WHERE application_id = %s", [b.pk])
        assert_kept()
        cursor.execute(
            "INSERT INTO grants_decisionversion (application_id, version, kind, decision_ada, budget, "
            "selections, created_at) VALUES (%s, 1, 'inclusion', '', 123.45, '[]', now())",
            [b.pk],
        )
    assert_kept()
    kalamata.regional_unit = RegionalUnit.objects.create(code="99", name="Άλλη", region=region)
    kalamata.save()
    assert_kept()


def test_every_application_and_a_filtered_set_read_the_same_figures(two_operations):
    """Every application: the per-region summary answers (totals, regions, programmes, counts);
    filtered: the operations are summed. The same figures either way."""
    every, filtered = Application.objects.all(), Application.objects.filter(pk__gt=0)
    assert absorption.whole(every) and not absorption.whole(filtered)
    for group in absorption.GROUPS:
        assert absorption.rows(every, group) == absorption.rows(filtered, group) != []
        assert absorption.count(every, group) == absorption.count(filtered, group)
        assert absorption.rows(every, group, limit=1, offset=1) == absorption.rows(filtered, group)[1:2]
    assert absorption.summed(every) == absorption.summed(filtered)
    assert absorption.programme_total(every) == absorption.programme_total(filtered)
