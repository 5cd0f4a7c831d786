"""The indicator summary is kept by PostgreSQL itself: whatever writes targets or values (the services,
bulk SQL, COPY), moves an application to another programme or municipality, or a municipality to
another regional unit, its rows equal the targets and the latest values of every operation per
programme, regional unit and indicator, and the staff's totals read the same numbers from it as from
the indicator tables."""

import datetime

import pytest
from django.db import connection
from django.db.models import Count, Sum

from grants.delivery import indicators
from grants.models import (
    Application,
    IndicatorSummary,
    IndicatorTarget,
    IndicatorValue,
    Programme,
    RegionalUnit,
)
from tests.conftest import make_municipality

DAY = datetime.date(2025, 2, 1)


def counted() -> dict:
    """(programme, regional unit, indicator) → (targets and latest values, their sums), from the
    indicator tables (the latest value: the latest measured, then the latest entered)."""
    out = {}

    def add(app, code, target, achieved):
        key = (app.programme_id, app.municipality.regional_unit_id, code)
        records, t, a = out.get(key, (0, 0, 0))
        out[key] = (records + 1, t + target, a + achieved)

    for row in IndicatorTarget.objects.select_related("application__municipality"):
        add(row.application, row.code, row.target, 0)
    latest = {}
    for row in IndicatorValue.objects.select_related("application__municipality").order_by(
        "application", "code", "measured_on", "id"
    ):
        latest[(row.application_id, row.code)] = row
    for row in latest.values():
        add(row.application, row.code, 0, row.achieved)
    return out


def summarised() -> dict:
    return {
        (r.programme_id, r.regional_unit_id, r.code): (r.records, r.target, r.achieved)
        for r in IndicatorSummary.objects.filter(records__gt=0)
    }


def assert_kept():
    assert summarised() == counted()
    for group in indicators.GROUPS:
        every = indicators.indicator_totals(Application.objects.all(), group=group)
        assert every == indicators.indicator_totals(Application.objects.filter(pk__gt=0), group=group)


@pytest.fixture
def two_operations(included, officer, kalamata_user, programme, pyli, pyli_user, approver, catalogue):
    from grants.services import application_get_or_create
    from projects.services import selection_add

    from .conftest import include

    other, _ = application_get_or_create(programme=programme, municipality=pyli)
    selection_add(application=other, project=catalogue[0], amount="1000", actor=pyli_user)
    include(other, municipality_user=pyli_user, officer=officer, approver=approver)
    for app, target in ((included, 5000), (other, 700)):
        indicators.indicator_target_set(application=app, code="RCR11", target=target, actor=officer)
    indicators.indicator_target_set(application=included, code="RCO14", target=0, actor=officer)
    for app, user, achieved, day in (
        (included, kalamata_user, 100, DAY),
        (included, kalamata_user, 300, datetime.date(2025, 3, 1)),
        (included, kalamata_user, 200, DAY),  # measured earlier: not the latest
        (other, pyli_user, 50, DAY),
    ):
        indicators.indicator_report(
            application=app, code="RCR11", achieved=achieved, measured_on=day, evidence="x", actor=user
        )
    return included, other


def test_the_services_keep_the_summary(two_operations, officer):
    included, _other = two_operations
    assert_kept()
    assert summarised()[(included.programme_id, included.municipality.regional_unit_id, "RCR11")] == (
        4,  # two targets, two latest values
        5700,
        350,
    )
    # A target of zero is still a group, at zero.
    assert summarised()[(included.programme_id, included.municipality.regional_unit_id, "RCO14")] == (
        1,
        0,
        0,
    )
    indicators.indicator_target_set(application=included, code="RCR11", target=6000, actor=officer)
    assert_kept()


def test_bulk_sql_copy_and_moves_are_summarised(two_operations, kalamata, region, kalamata_user):
    included, other = two_operations
    with connection.cursor() as cursor:
        # The latest value changes (a later date), then is deleted (the one before it counts again).
        cursor.execute(
            "UPDATE grants_indicatorvalue SET measured_on = '2025-04-01' "
            "WHERE achieved = 100 AND application_id = %s",
            [included.pk],
        )
        assert_kept()
        cursor.execute("DELETE FROM grants_indicatorvalue WHERE achieved = 100")
        assert_kept()
        cursor.execute("UPDATE grants_indicatorvalue SET achieved = achieved + 1")
        cursor.execute("UPDATE grants_indicatortarget SET target = target * 2")
        assert_kept()
        columns = "application_id, code, achieved, measured_on, evidence, reported_by_id, reported_at"
        with cursor.cursor.copy(f"COPY grants_indicatorvalue ({columns}) FROM STDIN") as copy:
            for i, day in enumerate(("2025-05-01", "2025-05-01", "2025-01-01")):
                copy.write_row(
                    (other.pk, "RCO14", 10 + i, day, "copy", kalamata_user.pk, "2025-05-02 00:00+00")
                )
        assert_kept()
        cursor.execute("DELETE FROM grants_indicatortarget WHERE application_id = %s", [other.pk])
    assert_kept()
    # Kalamata moves to another regional unit; the other operation to another municipality and
    # programme.
    kalamata.regional_unit = RegionalUnit.objects.create(code="98", name="Άλλη", region=region)
    kalamata.save()
    assert_kept()
    second = Programme.objects.create(
        code="SECOND", title="Δεύτερο", managing_authority="ΕΥΔ", total_budget="1000000.00"
    )
    elsewhere = make_municipality(kalamata.regional_unit, "9801", "ΔΗΜΟΣ ΑΛΛΟΣ", 1000)
    Application.objects.filter(pk=other.pk).update(programme=second, municipality=elsewhere)
    assert_kept()
    assert {p for p, _ru, _c in summarised()} == {included.programme_id, second.pk}


def test_the_totals_of_every_application_read_the_summary(two_operations):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        (row,) = indicators.indicator_totals(Application.objects.all(), group="programme")
    (query,) = queries.captured_queries
    assert 'FROM "grants_indicatorsummary"' in query["sql"]
    assert [(i["code"], i["target"], i["achieved"]) for i in row["indicators"]] == [
        ("RCO14", 0, 0),
        ("RCR11", 5700, 350),
    ]
    assert IndicatorTarget.objects.aggregate(s=Sum("target"), n=Count("pk")) == {"s": 5700, "n": 3}
