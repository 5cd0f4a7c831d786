"""What keeps pages fast at 100,000 municipalities, 1,000,000 selections and 5,000,000 audit events
(bench/scale.py measures them) without changing what they show: counts exact up to a limit and
PostgreSQL's estimate beyond, the audit trail's action filter and date drill-down found by index walks,
an application with more selections than an inline can render listed read-only, in queries that do
not grow with the rows."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grants import pagination, services
from grants.admin.application import SELECTIONS_INLINE_MAX, ApplicationAdmin
from grants.models import AuditEvent, Channel
from projects.models import CatalogueProject, Category, Selection
from tests.conftest import make_municipality

# -- counting ------------------------------------------------------------------------------------


@pytest.fixture
def small_limit(monkeypatch):
    monkeypatch.setattr(pagination, "EXACT_LIMIT", 5)


def _events(n, start=None, step=datetime.timedelta(hours=7), action="test.event"):
    start = start or timezone.make_aware(datetime.datetime(2024, 12, 30, 12, 0))
    AuditEvent.objects.bulk_create(
        AuditEvent(created_at=start + step * i, channel=Channel.CODE, action=action) for i in range(n)
    )


def test_lists_up_to_the_limit_are_counted_exactly(db, small_limit):
    _events(5)
    paginator = pagination.EstimatedCountPaginator(AuditEvent.objects.order_by("pk"), 2)
    assert (paginator.count, paginator.estimated, paginator.num_pages) == (5, False, 3)


def test_beyond_the_limit_the_count_is_postgresqls_estimate(db, small_limit):
    _events(40)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE grants_auditevent")
    unfiltered = pagination.EstimatedCountPaginator(AuditEvent.objects.order_by("pk"), 10)
    assert unfiltered.count == 40 and unfiltered.estimated  # pg_class.reltuples after ANALYZE
    filtered = pagination.EstimatedCountPaginator(AuditEvent.objects.filter(action="test.event"), 10)
    assert filtered.count >= 6 and filtered.estimated  # the planner's estimate, never below the limit
    with CaptureQueriesContext(connection) as queries:
        assert pagination.EstimatedCountPaginator(AuditEvent.objects.all(), 10).count == 40
    assert len(queries) == 2  # the capped count and the estimate: no COUNT(*) of the table


# -- the audit trail -----------------------------------------------------------------------------


def test_the_action_filter_walks_the_index_to_the_same_actions(db):
    for action in ("workflow.submit", "selection.add", "workflow.include", "selection.add"):
        _events(3, action=action)
    expected = sorted(set(AuditEvent.objects.values_list("action", flat=True)))
    with CaptureQueriesContext(connection) as queries:
        assert AuditEvent.objects.recorded_actions() == expected
    assert len(queries) == 1 and "RECURSIVE" in queries[0]["sql"]


@pytest.mark.parametrize("kind", ["year", "month", "day"])
def test_the_date_drill_down_finds_the_same_periods(db, kind):
    _events(60, step=datetime.timedelta(hours=31))  # from 30/12/2024 across the new year, a few months
    _events(3, start=timezone.make_aware(datetime.datetime(2026, 3, 3, 23, 30)))  # a gap, then more
    ours = AuditEvent.objects.datetimes("created_at", kind)
    django = list(models.QuerySet.datetimes(AuditEvent.objects.all(), "created_at", kind))
    assert ours == django and len(ours) > 2
    filtered = AuditEvent.objects.filter(created_at__year=2025)
    assert filtered.datetimes("created_at", kind) == list(
        models.QuerySet.datetimes(filtered, "created_at", kind)
    )


def test_the_audit_list_shows_estimated_counts_and_its_drill_down(client, auditor, small_limit):
    _events(30)
    client.force_login(auditor)
    url = reverse("admin:grants_auditevent_changelist")
    response = client.get(url)
    assert response.status_code == 200
    cl = response.context["cl"]
    assert cl.paginator.estimated and cl.result_count >= 6
    response = client.get(url, {"created_at__year": "2025"})
    assert response.status_code == 200 and len(response.context["cl"].result_list) > 0


# -- an application with many selections ---------------------------------------------------------


@pytest.fixture
def large_catalogue(db):
    category = Category.objects.create(order=90, title_el="Μεγάλος κατάλογος", title_en="Large")
    return CatalogueProject.objects.bulk_create(
        CatalogueProject(code=f"L{i:04d}", title_el=f"Έργο {i}", title_en=f"Project {i}", category=category)
        for i in range(SELECTIONS_INLINE_MAX + 60)
    )


def _select(app, projects):
    Selection.objects.bulk_create(
        Selection(application=app, project=p, amount=Decimal("10.00")) for p in projects
    )


def _page(client, app):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:grants_application_change", args=[app.pk]))
    assert response.status_code == 200
    return len(queries), response


def test_beyond_the_limit_the_selections_are_a_read_only_table(
    client, officer, programme, kalamata, large_catalogue
):
    app, _ = services.application_get_or_create(programme=programme, municipality=kalamata)
    client.force_login(officer)
    _select(app, large_catalogue[:SELECTIONS_INLINE_MAX])
    _count, response = _page(client, app)
    assert response.context["inline_admin_formsets"]  # up to the limit: the editable inline

    _select(app, large_catalogue[SELECTIONS_INLINE_MAX : SELECTIONS_INLINE_MAX + 1])
    few, response = _page(client, app)
    assert not response.context["inline_admin_formsets"]
    body = response.content.decode()
    assert (
        "/api/v1/applications/" in body and "L0100" in body and "<select" not in body.split("sc-history")[1]
    )
    _select(app, large_catalogue[SELECTIONS_INLINE_MAX + 1 :])
    many, response = _page(client, app)
    assert many == few, f"{few} queries with {SELECTIONS_INLINE_MAX + 1} selections, {many} with more"
    assert "L0159" in response.content.decode()


def test_the_application_page_lists_the_progress_of_every_selection(
    client, officer, programme, kalamata, large_catalogue
):
    app, _ = services.application_get_or_create(programme=programme, municipality=kalamata)
    client.force_login(officer)
    _select(app, large_catalogue)
    _count, response = _page(client, app)
    progress = response.content.decode().split('id="sc-progress"')[1].split("</table>")[0]
    assert progress.count("<tr>") == len(large_catalogue) + 1  # the heading's row and one per project
    assert "<td>L0000</td>" in progress and "<td>L0159</td>" in progress


# -- the applications list -----------------------------------------------------------------------


def test_the_applications_list_counts_once_and_runs_the_same_queries_however_many_match(
    client, officer, programme, regional_unit, monkeypatch
):
    # Four to a page: 3 applications are one page (read as they are), 15 are four (read by their keys
    # first, grants.pagination.by_keys), in as many queries.
    monkeypatch.setattr(ApplicationAdmin, "list_per_page", 4)

    def page(params):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("admin:grants_application_changelist"), params)
        assert response.status_code == 200
        return response, [q["sql"] for q in captured]

    def apply(first, n):
        for i in range(first, first + n):
            municipality = make_municipality(regional_unit, f"77{i:02d}", f"ΔΗΜΟΣ ΓΕΜΕΙΝΤΕ {i}", 5000)
            services.application_get_or_create(programme=programme, municipality=municipality)

    client.force_login(officer)
    apply(0, 3)
    searches = ({}, {"q": "γεμειντε"}, {"status__exact": "draft"})
    few = {}
    for params in searches:
        response, sqls = page(params)
        # The list's totals are its count: one pass over the matching rows (a search) or the
        # application summary's rows (no filter, a status), not a COUNT and an aggregate; the whole
        # list's number is the summary's too.
        assert response.context["cl"].result_count == response.context["sc_totals"]["count"] == 3
        assert not [s for s in sqls if 'COUNT(*) AS "__count" FROM "grants_application"' in s], params
        summed = [s for s in sqls if "SUM(" in s and 'FROM "grants_application"' in s]
        assert len(summed) == (1 if "q" in params else 0), params
        few[str(params)] = len(sqls)
    # A search adds one query whatever the data: the applications whose own code (MIS, ΑΔΑ) is the term.
    assert few[str({"q": "γεμειντε"})] == few[str({})] + 1
    apply(3, 12)
    for params in searches:
        response, sqls = page(params)
        assert response.context["cl"].result_count == 15
        assert len(sqls) == few[str(params)], params
    # A page read by its keys is the plain list's slice: the same rows in the same order, whatever
    # the column it is sorted by (-pk breaks the ties, as Django adds it).
    for params in ({"q": "γεμειντε", "p": "2"}, {"q": "γεμειντε", "p": "4", "o": "-3"}, {"o": "2", "p": "3"}):
        cl = page(params)[0].context["cl"]
        first = (int(params["p"]) - 1) * 4
        assert [a.pk for a in cl.result_list] == [a.pk for a in cl.queryset[first : first + 4]], params
        assert 0 < len(cl.result_list) <= 4


def test_the_selections_list_offers_the_project_as_typed_not_the_whole_catalogue(
    client, officer, large_catalogue
):
    client.force_login(officer)
    with CaptureQueriesContext(connection) as few:
        response = client.get(
            reverse("admin:projects_selection_changelist"), {"application__status__exact": "included"}
        )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="sc-filter-project"' in body and "L0159" not in body  # an autocomplete, not 160 links
    CatalogueProject.objects.bulk_create(
        CatalogueProject(
            code=f"M{i:04d}",
            title_el=f"Άλλο {i}",
            title_en=f"Other {i}",
            category=large_catalogue[0].category,
        )
        for i in range(40)
    )
    with CaptureQueriesContext(connection) as more:
        client.get(reverse("admin:projects_selection_changelist"), {"application__status__exact": "included"})
    assert len(more) == len(few)


def test_each_selection_row_lists_its_own_project_not_the_catalogue(
    client, officer, programme, kalamata, large_catalogue
):
    """An editable application's rows fix their project: each row's drop-down holds that project
    alone, read from the row, so more rows cost no query and no catalogue-sized list each."""
    app, _ = services.application_get_or_create(programme=programme, municipality=kalamata)
    client.force_login(officer)
    _select(app, large_catalogue[:2])
    few, response = _page(client, app)
    assert response.context["inline_admin_formsets"]
    options = response.content.decode().count("<option")
    _select(app, large_catalogue[2:5])
    more, response = _page(client, app)
    body = response.content.decode()
    assert more == few, f"{few} queries with 2 selections, {more} with 5"
    assert body.count("<option") == options + 3 and "L0004" in body
