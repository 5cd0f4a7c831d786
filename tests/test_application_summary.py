"""The application summary is kept by PostgreSQL itself: whatever writes applications (the services,
the workflow, bulk SQL) or moves a municipality to another regional unit, its rows equal a count of
the applications per programme, status and regional unit, and the budgets report and its API read the
same numbers from it as from the applications."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Q, Sum

from grants import services, workflow
from grants.models import Application, ApplicationStatus, ApplicationSummary, Region, RegionalUnit
from grants.reports.aggregates import BudgetsReport
from projects import services as project_services
from tests.conftest import make_municipality

# The absorption figures each application brings (grants.delivery.absorption's definitions).
MONEY = ("contracted", "declared", "verified", "paid")


def counted():
    """(programme, status, regional unit) → (applications, budget, included budget, contracted,
    declared, verified, paid), from the applications, their versions 1 and their money's own tables."""
    from grants.delivery import absorption, decisions
    from grants.models import Contract, ExpenditureDeclaration, Payment

    money = {
        "contracted": (Contract, "amount", Q()),
        "declared": (ExpenditureDeclaration, "amount", absorption.declared_q()),
        "verified": (ExpenditureDeclaration, "accepted_amount", absorption.verified_q()),
        "paid": (Payment, "amount", absorption.paid_q()),
    }
    per_app = {}
    for figure, (model, amount, condition) in money.items():
        for app, total in (
            model.objects.filter(condition).order_by().values_list("application").annotate(s=Sum(amount))
        ):
            per_app.setdefault(app, dict.fromkeys(MONEY, Decimal(0)))[figure] += total or 0
    out = {}
    apps = Application.objects.order_by().annotate(v1=decisions.inclusion_budget())
    for a in apps.values("pk", "programme_id", "status", "municipality__regional_unit_id", "budget", "v1"):
        key = (a["programme_id"], a["status"], a["municipality__regional_unit_id"])
        row = out.setdefault(key, [0] + [Decimal("0.00")] * 6)
        brought = [1, a["budget"], a["v1"] if a["v1"] is not None else a["budget"]]
        brought += [per_app.get(a["pk"], {}).get(f, Decimal(0)) for f in MONEY]
        out[key] = [x + y for x, y in zip(row, brought, strict=True)]
    return {k: tuple(v) for k, v in out.items()}


def summarised():
    figures = ("applications", "budget", "included_budget", *MONEY)
    return {
        (r.programme_id, r.status, r.regional_unit_id): tuple(getattr(r, f) for f in figures)
        for r in ApplicationSummary.objects.filter(applications__gt=0)
    }


@pytest.fixture
def three_applications(programme, kalamata, pyli, regional_unit, catalogue, kalamata_user):
    other_region = Region.objects.create(code="EL30", name="ΑΤΤΙΚΗΣ", category="more_developed")
    athens_unit = RegionalUnit.objects.create(code="45", name="Κεντρικού Τομέα Αθηνών", region=other_region)
    athens = make_municipality(athens_unit, "4501", "ΔΗΜΟΣ ΑΘΗΝΑΙΩΝ", 660000)
    apps = []
    for municipality in (kalamata, pyli, athens):
        app, _ = services.application_get_or_create(programme=programme, municipality=municipality)
        for project in catalogue[:2]:
            project_services.selection_add(application=app, project=project, amount=Decimal("1500.00"))
        apps.append(app)
    return apps


def test_services_and_the_workflow_keep_the_summary(three_applications, kalamata_user, officer):
    kalamata_app = three_applications[0]
    assert summarised() == counted() != {}
    workflow.transition(kalamata_app, "submit", actor=kalamata_user)
    workflow.transition(Application.objects.get(pk=kalamata_app.pk), "start_review", actor=officer)
    assert summarised() == counted()
    assert {status for _p, status, _ru in summarised()} == {"under_review", "draft"}


def test_bulk_sql_and_moved_municipalities_are_summarised(three_applications, pyli, region, programme):
    _kalamata_app, pyli_app, athens_app = three_applications
    with connection.cursor() as cursor:
        cursor.execute("UPDATE grants_application SET status = 'included' WHERE id = %s", [pyli_app.pk])
        cursor.execute("UPDATE grants_application SET budget = budget * 3 + 1")
        # A save that changes none of the summarised fields moves nothing.
        cursor.execute("UPDATE grants_application SET updated_at = now()")
    assert summarised() == counted()
    # Pyli moves to a regional unit of its own; then an application moves to another municipality.
    unit = RegionalUnit.objects.create(code="46", name="Νέα Ενότητα", region=region)
    pyli.regional_unit = unit
    pyli.save()
    assert summarised() == counted()
    assert any(ru == unit.pk for _p, _s, ru in summarised())
    moved_to = make_municipality(unit, "4601", "ΔΗΜΟΣ ΝΕΟΣ", 1000)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE grants_application SET municipality_id = %s WHERE id = %s", [moved_to.pk, athens_app.pk]
        )
    assert summarised() == counted()
    # Written and deleted without the services (an application with no history).
    lone = Application.objects.create(
        programme=programme,
        municipality=make_municipality(unit, "4602", "ΔΗΜΟΣ ΜΟΝΟΣ", 10),
        budget=Decimal("10"),
    )
    assert summarised() == counted()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM grants_application WHERE id = %s", [lone.pk])
    assert summarised() == counted()


def test_the_budgets_report_and_api_read_the_same_numbers(
    three_applications, officer, auditor, client, programme
):
    Application.objects.filter(pk=three_applications[1].pk).update(
        status="included", budget=Decimal("70000.00")
    )
    for filters in ({}, {"status": ["included"]}, {"programme": programme.code}):
        report = BudgetsReport()
        fs = report.filterset(auditor, filters)
        assert report._summarised[1] == filters  # the summary answers
        summarised_rows = report.build(fs.qs)
        counting = BudgetsReport()  # given its applications: no summary, they are counted
        counted_rows = counting.build(counting.filterset(auditor, filters, base=counting.scoped(auditor)).qs)
        assert counting._summarised is None
        assert summarised_rows == counted_rows
        assert summarised_rows[1]["applications"] == fs.qs.count()
    client.force_login(officer)
    rows = client.get("/api/v1/reports/budgets/").json()
    rows = rows.get("results", rows)
    assert sum(r["applications"] for r in rows) == 3
    assert sum(Decimal(r["included_budget"]) for r in rows) == Decimal("70000.00")


def test_the_dashboard_reads_the_same_counts_and_regions(three_applications, auditor, client):
    """The staff's dashboard counts applications per status and sums the committed budgets per
    region from the summary: the same figures as the applications'."""
    from grants.formatting import format_eur, format_int

    Application.objects.filter(pk=three_applications[1].pk).update(
        status="included", budget=Decimal("70000.00")
    )
    Application.objects.filter(pk=three_applications[2].pk).update(
        status="completed", budget=Decimal("1234.56")
    )
    client.force_login(auditor)
    figures = client.get("/reports/").context["figures"]
    by_status = dict(Application.objects.order_by().values_list("status").annotate(n=Count("pk")))
    assert [shown for _label, shown in figures[0]["rows"]] == [
        format_int(by_status.get(value, 0)) for value in ApplicationStatus.values
    ]
    regions = (
        Application.objects.filter(status__in=["included", "completed"])
        .values_list("municipality__regional_unit__region__name")
        .annotate(s=Sum("budget"))
        .order_by("-s")
    )
    assert figures[2]["rows"] == [(name, format_eur(s)) for name, s in regions]
    assert len(figures[2]["rows"]) == 2
