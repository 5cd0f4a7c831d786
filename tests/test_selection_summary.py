"""The selection summary is kept by PostgreSQL itself: whatever writes selections or moves an
application (the services, the workflow, bulk SQL, COPY), the summary equals a count of the
selections, and the popularity report reads the same numbers either way."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Sum

from grants import services, workflow
from grants.models import Application, SelectionSummary
from grants.reports.aggregates import PopularityReport
from projects import services as project_services
from projects.models import Selection


def counted():
    """(programme, status, project) → (applications, amount), from the selections themselves."""
    rows = (
        Selection.objects.order_by()
        .values_list("application__programme_id", "application__status", "project_id")
        .annotate(n=Count("pk"), s=Sum("amount"))
    )
    return {(p, st, pr): (n, s) for p, st, pr, n, s in rows}


def summarised():
    return {
        (r.programme_id, r.status, r.project_id): (r.applications, r.amount)
        for r in SelectionSummary.objects.filter(applications__gt=0)
    }


@pytest.fixture
def two_applications(programme, kalamata, pyli, catalogue, kalamata_user):
    apps = []
    for municipality in (kalamata, pyli):
        app, _ = services.application_get_or_create(programme=programme, municipality=municipality)
        for project in catalogue[:3]:
            project_services.selection_add(application=app, project=project, amount=Decimal("1000.00"))
        apps.append(app)
    return apps


def test_services_and_the_workflow_keep_the_summary(two_applications, catalogue, kalamata_user, officer):
    kalamata_app, pyli_app = two_applications
    assert summarised() == counted() != {}

    selection = Selection.objects.get(application=kalamata_app, project=catalogue[0])
    project_services.selection_update(selection=selection, amount=Decimal("2500.50"), justification="")
    project_services.selection_remove(
        selection=Selection.objects.get(application=pyli_app, project=catalogue[1])
    )
    assert summarised() == counted()

    workflow.transition(kalamata_app, "submit", actor=kalamata_user)
    workflow.transition(Application.objects.get(pk=kalamata_app.pk), "start_review", actor=officer)
    assert summarised() == counted()
    statuses = {status for _p, status, _pr in summarised()}
    assert statuses == {"under_review", "draft"}


def test_bulk_sql_and_copy_are_summarised(two_applications, catalogue):
    kalamata_app, pyli_app = two_applications
    with connection.cursor() as cursor:
        cursor.execute("UPDATE grants_application SET status = 'included' WHERE id = %s", [pyli_app.pk])
        cursor.execute("UPDATE projects_selection SET amount = amount * 2")
        columns = "application_id, project_id, amount, justification, created_at, updated_at"
        with cursor.cursor.copy(f"COPY projects_selection ({columns}) FROM STDIN") as copy:
            for project in catalogue[5:9]:
                copy.write_row((kalamata_app.pk, project.pk, "10.00", "", "2026-01-01", "2026-01-01"))
        cursor.execute("DELETE FROM projects_selection WHERE project_id = %s", [catalogue[2].pk])
    assert summarised() == counted()


def test_popularity_reads_the_same_numbers_from_the_summary(two_applications, officer):
    report = PopularityReport()
    fs = report.filterset(officer, {"status": ["draft"]})
    assert report._summarised[1] == {"status": ["draft"]}  # the page's filters are summarised
    report._summarised = None
    counted_rows = report.projects(fs.qs)  # counted from the selections
    summary_rows = report.projects(fs.qs, summary={"status": ["draft"]})
    assert [(p.code, n, total) for p, n, _s, total in summary_rows[1]] == [
        (p.code, n, total) for p, n, _s, total in counted_rows[1]
    ]
    assert summary_rows[2] == counted_rows[2] == Decimal("6000.00")
    assert summary_rows[1][0][1] == 2  # both applications chose the first project


def test_the_selections_report_total_reads_the_summary_and_equals_the_sum(two_applications, officer):
    from grants.reports.definitions import REPORTS

    report = REPORTS["selections"]()
    everything = report.filterset(officer, {}).qs
    with connection.cursor() as cursor:  # a bulk change the services never saw
        cursor.execute("UPDATE projects_selection SET amount = amount + 0.50")
    live = Selection.objects.aggregate(s=Sum("amount"))["s"]
    assert report.totals(everything) == {"amount": live} == {"amount": Decimal("6003.00")}
    filtered = report.filterset(officer, {"status": ["submitted"]}).qs
    assert report.totals(filtered) == {"amount": None}
