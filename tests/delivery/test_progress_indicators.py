"""Progress per selected project and the indicators: who sets what, when, and the totals."""

import datetime

import pytest
from django.utils import translation

from grants.delivery import indicators, progress
from grants.delivery.indicators import IndicatorError
from grants.delivery.progress import ProgressError
from grants.models import Application, AuditEvent, ProjectProgress
from grants.models import ApplicationStatus as S
from grants.services import application_get_or_create
from projects.services import selection_add
from tests.conftest import (
    make_catalogue,
    make_category,
    make_kalamata,
    make_municipality_user,
    make_programme,
    make_pyli,
    make_region,
    make_regional_unit,
    make_staff,
    per_test,
)

from .conftest import include

DAY = datetime.date(2025, 2, 1)


@pytest.fixture(scope="module")
def built(module_db):
    """Kalamata's included application and the accounts, built once for the module (tests/conftest.py:
    module_db) as the `included` fixture of tests/delivery/conftest.py builds it for each test; each
    test writes in its own savepoint."""
    with module_db.unblock(), translation.override("en"):
        programme = make_programme()
        regional_unit = make_regional_unit(make_region())
        kalamata, pyli = make_kalamata(regional_unit), make_pyli(regional_unit)
        catalogue = make_catalogue(make_category())
        officer, approver, auditor = (make_staff(n) for n in ("officer", "approver", "auditor"))
        kalamata_user = make_municipality_user("kalamata", kalamata)
        pyli_user = make_municipality_user("pyli", pyli)
        app, _ = application_get_or_create(programme=programme, municipality=kalamata)
        for project in catalogue[:3]:
            selection_add(application=app, project=project, amount="100000", actor=kalamata_user)
        included = include(app, municipality_user=kalamata_user, officer=officer, approver=approver)
    return {
        "included": included,
        "programme": programme,
        "pyli": pyli,
        "catalogue": catalogue,
        "officer": officer,
        "approver": approver,
        "auditor": auditor,
        "kalamata_user": kalamata_user,
        "pyli_user": pyli_user,
    }


included, programme, pyli, catalogue, officer, approver, auditor, kalamata_user, pyli_user = (
    per_test(name, "built")
    for name in (
        "included",
        "programme",
        "pyli",
        "catalogue",
        "officer",
        "approver",
        "auditor",
        "kalamata_user",
        "pyli_user",
    )
)


def test_progress_rows_default_to_not_started(included):
    rows = progress.progress_rows(included)
    assert [(r.project, r.stage) for r in rows] == [
        ("T01", "not_started"),
        ("T02", "not_started"),
        ("T03", "not_started"),
    ]


def test_the_municipality_moves_a_project_through_its_stages(included, kalamata_user):
    progress.progress_set(
        application=included, project="T01", stage="procurement", date=DAY, actor=kalamata_user
    )
    progress.progress_set(
        application=included,
        project="T01",
        stage="contracted",
        date=datetime.date(2025, 4, 1),
        actor=kalamata_user,
    )
    row = progress.progress_rows(included)[0]
    assert (row.stage, row.procurement_on, row.contracted_on) == (
        "contracted",
        DAY,
        datetime.date(2025, 4, 1),
    )
    assert AuditEvent.objects.filter(application=included, action="progress.set").count() == 2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"project": "T01", "stage": "finished", "date": DAY}, "stage"),
        ({"project": "T01", "stage": "procurement", "date": None}, "date"),
        ({"project": "T01", "stage": "procurement", "date": datetime.date(2999, 1, 1)}, "date"),
        ({"project": "T09", "stage": "procurement", "date": DAY}, "project"),
    ],
)
def test_bad_progress_is_refused_by_field(included, kalamata_user, kwargs, field):
    with pytest.raises(ProgressError) as caught:
        progress.progress_set(application=included, actor=kalamata_user, **kwargs)
    assert field in caught.value.message_dict
    assert not ProjectProgress.objects.exists()


@pytest.mark.parametrize("who", ["officer", "approver", "auditor", "pyli_user"])
def test_only_the_municipality_sets_progress(included, who, request):
    with pytest.raises(ProgressError):
        progress.progress_set(
            application=included,
            project="T01",
            stage="procurement",
            date=DAY,
            actor=request.getfixturevalue(who),
        )


def test_progress_only_while_included(included, kalamata_user):
    Application.objects.filter(pk=included.pk).update(status=S.COMPLETED)
    with pytest.raises(ProgressError, match="while the operation is included"):
        progress.progress_set(
            application=included, project="T01", stage="procurement", date=DAY, actor=kalamata_user
        )


def test_indicator_targets_and_values(included, officer, kalamata_user):
    indicators.indicator_target_set(application=included, code="RCO14", target=1, actor=officer)
    indicators.indicator_target_set(application=included, code="rcr11", target="5000", actor=officer)
    indicators.indicator_report(
        application=included,
        code="RCR11",
        achieved=1200,
        measured_on=DAY,
        evidence="Στατιστικά πύλης",
        actor=kalamata_user,
    )
    indicators.indicator_report(
        application=included,
        code="RCR11",
        achieved=2500,
        measured_on=datetime.date(2025, 6, 1),
        evidence="Στατιστικά πύλης",
        actor=kalamata_user,
    )
    rows = {r.code: r for r in indicators.indicator_rows(included)}
    assert (rows["RCO14"].target, rows["RCO14"].achieved) == (1, None)
    assert (rows["RCR11"].target, rows["RCR11"].achieved, rows["RCR11"].measured_on) == (
        5000,
        2500,
        datetime.date(2025, 6, 1),
    )
    assert rows["RCO14"].title.startswith("RCO14 — Public institutions")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"code": "RCO99", "achieved": 1, "measured_on": DAY, "evidence": "x"}, "code"),
        ({"code": "RCO14", "achieved": -1, "measured_on": DAY, "evidence": "x"}, "achieved"),
        ({"code": "RCO14", "achieved": "1,5", "measured_on": DAY, "evidence": "x"}, "achieved"),
        ({"code": "RCO14", "achieved": 1, "measured_on": None, "evidence": "x"}, "measured_on"),
        (
            {"code": "RCO14", "achieved": 1, "measured_on": datetime.date(2020, 1, 1), "evidence": "x"},
            "measured_on",
        ),
        ({"code": "RCO14", "achieved": 1, "measured_on": DAY, "evidence": " "}, "evidence"),
    ],
)
def test_bad_values_are_refused_by_field(included, kalamata_user, kwargs, field):
    with pytest.raises(IndicatorError) as caught:
        indicators.indicator_report(application=included, actor=kalamata_user, **kwargs)
    assert field in caught.value.message_dict


def test_who_sets_targets_and_reports(included, kalamata_user, officer, approver, auditor, pyli_user):
    for user in (kalamata_user, approver, auditor):
        with pytest.raises(IndicatorError):
            indicators.indicator_target_set(application=included, code="RCO14", target=1, actor=user)
    for user in (officer, approver, auditor, pyli_user):
        with pytest.raises(IndicatorError):
            indicators.indicator_report(
                application=included, code="RCO14", achieved=1, measured_on=DAY, evidence="x", actor=user
            )


def test_totals_per_region_and_programme(
    included, officer, kalamata_user, programme, pyli, pyli_user, approver, catalogue
):
    from grants.services import application_get_or_create
    from projects.services import selection_add

    from .conftest import include

    other, _ = application_get_or_create(programme=programme, municipality=pyli)
    selection_add(application=other, project=catalogue[0], amount="1000", actor=pyli_user)
    include(other, municipality_user=pyli_user, officer=officer, approver=approver)
    for app, target in ((included, 5000), (other, 700)):
        indicators.indicator_target_set(application=app, code="RCR11", target=target, actor=officer)
    indicators.indicator_report(
        application=included, code="RCR11", achieved=100, measured_on=DAY, evidence="x", actor=kalamata_user
    )
    indicators.indicator_report(
        application=included,
        code="RCR11",
        achieved=300,
        measured_on=datetime.date(2025, 3, 1),
        evidence="x",
        actor=kalamata_user,
    )
    indicators.indicator_report(
        application=other, code="RCR11", achieved=50, measured_on=DAY, evidence="x", actor=pyli_user
    )
    (row,) = indicators.indicator_totals(Application.objects.all(), group="programme")
    assert row["key"] == "SMART-CITIES"
    assert row["indicators"] == [
        {"code": "RCR11", "title": row["indicators"][0]["title"], "target": 5700, "achieved": 350}
    ]
    (region,) = indicators.indicator_totals(Application.objects.all(), group="region")
    assert region["key"] == "EL65" and region["indicators"][0]["achieved"] == 350
    # Scoped: what a municipality sees adds up its own operation only.
    (own,) = indicators.indicator_totals(Application.objects.filter(pk=other.pk), group="programme")
    assert own["indicators"][0]["target"] == 700


def test_indicator_totals_are_grouped_from_the_indicator_tables(included, officer, kalamata_user):
    """The totals read the indicator rows, grouped: applications without any are never visited (a
    subquery per application took seconds at 100,000 of them), in one query whatever the indicators
    (two per indicator, each hashing every application's id, took 0.5 s at 100,000)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    indicators.indicator_target_set(application=included, code="RCR11", target=10, actor=officer)
    indicators.indicator_report(
        application=included, code="RCR11", achieved=4, measured_on=DAY, evidence="x", actor=kalamata_user
    )
    # The same day measured twice: the latest entered counts.
    indicators.indicator_report(
        application=included, code="RCR11", achieved=6, measured_on=DAY, evidence="y", actor=kalamata_user
    )
    indicators.indicator_target_set(application=included, code="RCO14", target=3, actor=officer)
    # A filtered set (pk__gt=0) is counted from the indicator tables; every application is read from
    # the indicator summary the database keeps (tests/delivery/test_indicator_summary.py).
    for applications, table in (
        (Application.objects.filter(pk__gt=0), "FROM grants_indicatortarget"),
        (Application.objects.all(), 'FROM "grants_indicatorsummary"'),
    ):
        with CaptureQueriesContext(connection) as queries:
            (row,) = indicators.indicator_totals(applications, group="region")
        # In the indicators' order (Indicator.choices: RCO14, RCR11).
        assert [(i["code"], i["target"], i["achieved"]) for i in row["indicators"]] == [
            ("RCO14", 3, 0),
            ("RCR11", 10, 6),
        ]
        (query,) = queries.captured_queries
        assert table in query["sql"]
