"""Every /reports/ page, the staff search and the API's report twins read a number of rows and run a
number of queries that do not grow with the data: the same count with 2 applications as with 20
(pages are read a page at a time, totals summed by the database, long lists not drawn as drop-downs).
At EU scale (bench/scale.py: 100,000 municipalities) that is what keeps them under 300 ms."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from grants.delivery import absorption
from grants.models import Application
from grants.models import ApplicationStatus as S
from grants.reports import filter_widgets
from grants.reports.definitions import REPORTS
from projects.models import CatalogueProject
from tests.conftest import make_municipality
from tests.test_reports import _advance, _apply

PAGES = [
    "/reports/",
    *[f"/reports/{name}/" for name in REPORTS],
    "/reports/caps/?q=ΔΗΜΟΣ",
    "/reports/operations/?municipality=4501",
    "/reports/inclusions/?municipality=4501",
    "/reports/absorption/?group=municipality",
    "/reports/search/?q=ΔΗΜΟΣ",
    "/reports/search/?q=4501",
]
API = [
    "/api/v1/reports/popularity/",
    "/api/v1/reports/budgets/",
    "/api/v1/reports/absorption/",
    "/api/v1/reports/absorption/?group=region",
    "/api/v1/reports/absorption/?group=programme",
    "/api/v1/reports/indicators/",
    "/api/v1/reports/indicators/?group=region",
]


def _add(programme, regional_unit, officer, approver, first, last):
    projects = list(CatalogueProject.objects.order_by("code"))
    for i in range(first, last):
        m = make_municipality(regional_unit, f"45{i:02d}", f"ΔΗΜΟΣ ΔΟΚΙΜΗΣ {i}", 5000 + i)
        app = _apply(programme, m, [(projects[i % 5], "1000"), (projects[5], "2000")], officer)
        _advance(app, officer, approver, S.INCLUDED if i % 2 else S.TO_BE_INCLUDED)


def _counts(auditor):
    from django.test import Client

    client, api = Client(), APIClient()
    client.force_login(auditor)
    api.force_authenticate(auditor)
    counts = {}
    for url in PAGES + API:
        get = (api if url.startswith("/api/") else client).get
        get(url)  # what a process reads once (labels, published names) is not the page's
        with CaptureQueriesContext(connection) as queries:
            response = get(url)
        assert response.status_code == 200, (url, response.status_code)
        counts[url] = len(queries.captured_queries)
    return counts


@pytest.mark.slow
def test_report_pages_and_api_twins_run_as_many_queries_for_2_rows_as_for_20(
    programme, regional_unit, catalogue, officer, approver, auditor, monkeypatch
):
    # Each count with the drop-downs as they are and with options=1: the municipalities are more than
    # a drop-down holds (typed, and the typed one named). Both on the same 2 and then 20 applications,
    # which take most of the test's time to build.
    def counts():
        by_options = {}
        for options in (max_options, 1):
            monkeypatch.setattr(filter_widgets, "MAX_OPTIONS", options)
            by_options[options] = _counts(auditor)
        return by_options

    max_options = filter_widgets.MAX_OPTIONS
    _add(programme, regional_unit, officer, approver, 0, 2)
    small = counts()
    _add(programme, regional_unit, officer, approver, 2, 20)
    assert Application.objects.count() == 20
    assert counts() == small


def test_absorption_pages_of_the_database_equal_the_whole(
    programme, regional_unit, catalogue, officer, approver
):
    """The page's slice, the count and the totals summed by the database agree with every row."""
    _add(programme, regional_unit, officer, approver, 0, 7)
    apps = Application.objects.all()
    for group in absorption.GROUPS:
        every = absorption.rows(apps, group)
        assert absorption.count(apps, group) == len(every) > 0
        assert absorption.rows(apps, group, limit=2, offset=1) == every[1:3]
        assert absorption.Pages(apps, group)[2:] == every[2:]
        assert absorption.summed(apps) == absorption.totals(every)
    names = [r["name"] for r in absorption.rows(apps, "operation")]
    assert names == sorted(names)


def test_search_finds_applications_by_municipality_and_by_their_own_codes(
    programme, regional_unit, catalogue, officer, approver, auditor
):
    """The application search finds by municipality and by MIS or ΑΔΑ, in name order, and a code brings
    its own application only (grants.filters.application_search_q)."""
    from grants.search import search

    _add(programme, regional_unit, officer, approver, 0, 6)
    included = Application.objects.filter(status=S.INCLUDED).select_related("municipality")
    one = included.order_by("pk").first()

    def found(term):
        groups = {key: objects for key, _label, objects in search(auditor, term)}
        return [a.pk for a in groups.get("applications", [])]

    assert found(one.mis_code) == [one.pk]
    by_ada = found(one.decision_ada.lower())
    assert by_ada == [a.pk for a in sorted(included, key=lambda a: a.municipality.name)]
    assert found(f"δοκιμης {one.municipality.name[-1]}") == [one.pk]
    assert found("ΔΗΜΟΣ ΔΟΚΙΜΗΣ") == list(
        Application.objects.order_by("municipality__name", "pk").values_list("pk", flat=True)
    )


def test_the_inclusions_page_is_the_first_rows_of_the_download(
    programme, regional_unit, catalogue, officer, approver, auditor
):
    """The page reads one status at a time; its rows are still the download's first, in order."""
    _add(programme, regional_unit, officer, approver, 0, 7)
    report = REPORTS["inclusions"]()
    qs = report.filterset(auditor, {}).qs
    every = list(report.rows(qs))
    assert {row[0] for row in every} == {"Ενταγμένη", "Προς ένταξη"}
    for limit in (1, 3, 4, 7, 50):
        assert report.page_rows(qs, limit=limit) == every[:limit]


@pytest.mark.parametrize("params", [{}, {"programme": "SMART-CITIES"}, {"status": ["included"]}, {"q": "1"}])
def test_the_budgets_commitment_is_the_same_read_from_the_page_groups_or_counted_apart(
    programme, regional_unit, catalogue, officer, approver, auditor, params
):
    """Unfiltered (or by programme) the page's groups give the commitment; otherwise it is counted
    over the programme's applications as before. Both ways give the same figures."""
    _add(programme, regional_unit, officer, approver, 0, 5)
    page = REPORTS["budgets"]()
    fs = page.filterset(auditor, params)
    page.rows(fs.qs)  # the page builds its groups first
    apart = REPORTS["budgets"]()
    apart_fs = apart.filterset(auditor, params)
    assert page.commitment(fs) == apart.commitment(apart_fs)
    assert page.commitment(fs)["committed"] > 0
