"""The published list names every beneficiary so that the importer reads it back as the same
municipality: export → import round-trips for the whole registry."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import translation

from grants.imports.inclusions import import_inclusions
from grants.imports.matching import MunicipalityIndex, MunicipalityRef
from grants.models import Application, AuditEvent, Channel, Municipality
from grants.workflow_batch import Decision, record_decisions
from tests.test_reports import _body, _get

FORMATS = {"txt": "text", "csv": "csv", "xlsx": "xlsx"}


@pytest.fixture
def everyone_included(registry):
    """All 332 municipalities included, each with a budget of its own, so that a row matched to the
    wrong municipality would change that municipality's budget instead of leaving it unchanged."""
    decisions = [
        Decision(
            m,
            {
                "status": "included",
                "budget": Decimal("200000.00") + Decimal(m.elstat_code) / 100,
                "inclusion_date": datetime.date(2024, 7, 2),
            },
        )
        for m in Municipality.objects.order_by("pk")
    ]
    record_decisions(registry, decisions, actor=None, channel=Channel.COMMAND)
    assert Application.objects.filter(programme=registry, status="included").count() == 332
    return registry


def test_namesakes_are_qualified_as_the_published_lists_do(registry):
    index = MunicipalityIndex.load()
    ref = {m.elstat_code: m for ms in index.by_key.values() for m in ms}

    assert index.published_name(ref["4604"]) == "ΔΗΜΟΣ ΗΡΑΚΛΕΙΟΥ ΝΟΜΟΥ ΑΤΤΙΚΗΣ"
    assert index.published_name(ref["7101"]) == "ΔΗΜΟΣ ΗΡΑΚΛΕΙΟΥ ΝΟΜΟΥ ΚΡΗΤΗΣ"
    assert index.published_name(ref["2603"]) == "ΔΗΜΟΣ ΠΥΛΗΣ"  # unique: as the registry has it
    assert set(index.published_names()) == {ref["4604"].pk, ref["7101"].pk}


def test_namesakes_no_prefecture_tells_apart_are_refused_not_exported_ambiguously():
    # Hypothetical: two municipalities of one name in one regional unit.
    twins = [
        MunicipalityRef(pk, "ΔΗΜΟΣ ΔΙΔΥΜΩΝ", code, "44", "Μεσσηνίας", 1000, 1000, True, None)
        for pk, code in ((1, "4401"), (2, "4402"))
    ]
    index = MunicipalityIndex(twins, [("44", "Μεσσηνίας", "ΠΕΛΟΠΟΝΝΗΣΟΥ")])

    with pytest.raises(ValueError, match="4401"):
        index.published_name(twins[0])


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_the_whole_registry_round_trips_through_the_published_list(client, everyone_included, auditor, fmt):
    content = _body(_get(client, auditor, f"/reports/inclusions.{fmt}"))
    if fmt != "xlsx":
        text = content.decode("utf-8-sig")
        assert "ΔΗΜΟΣ ΗΡΑΚΛΕΙΟΥ ΝΟΜΟΥ ΑΤΤΙΚΗΣ" in text and "ΔΗΜΟΣ ΗΡΑΚΛΕΙΟΥ ΝΟΜΟΥ ΚΡΗΤΗΣ" in text
    state = list(
        Application.objects.order_by("pk").values_list("municipality", "status", "budget", "version")
    )
    events = AuditEvent.objects.exclude(action="report.export").count()

    report = import_inclusions(content, fmt=FORMATS[fmt], programme=everyone_included, source=f"export.{fmt}")

    assert report.ok, [str(e) for e in report.errors[:5]]
    # Every row matched its own municipality: each once, at the budget only it has.
    assert len(report.rows) == 332
    assert {row.municipality.pk for row in report.rows} == set(
        Municipality.objects.values_list("pk", flat=True)
    )
    assert (report.created, report.updated, report.unchanged) == (0, 0, 332)
    assert (
        list(Application.objects.order_by("pk").values_list("municipality", "status", "budget", "version"))
        == state
    )
    assert AuditEvent.objects.exclude(action="report.export").count() == events


def test_the_command_reads_the_whole_registry_back_and_changes_nothing(
    client, everyone_included, auditor, tmp_path
):
    path = tmp_path / "inclusions.csv"
    path.write_bytes(_body(_get(client, auditor, "/reports/inclusions.csv")))
    events = AuditEvent.objects.exclude(action="report.export").count()
    out = io.StringIO()

    with translation.override("en"):
        call_command("import_inclusions", str(path), stdout=out)

    assert "Nothing changed: the database already matches this list." in out.getvalue()
    assert AuditEvent.objects.exclude(action="report.export").count() == events


def test_the_kept_published_names_follow_every_change_of_the_registry(registry):
    """The published names are kept with a fingerprint of the registry (building them reads every
    municipality): a renamed or moved municipality gives a fresh answer at once, never a stale one."""
    before = MunicipalityIndex.published_names_now()
    assert before == MunicipalityIndex.load().published_names()
    kalamata = Municipality.objects.get(name="ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ")
    pyli = Municipality.objects.get(name="ΔΗΜΟΣ ΠΥΛΗΣ")
    Municipality.objects.filter(pk=pyli.pk).update(name="ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ")  # a namesake, by plain SQL
    after = MunicipalityIndex.published_names_now()
    assert after == MunicipalityIndex.load().published_names() != before
    assert {kalamata.pk, pyli.pk} <= set(after)
    Municipality.objects.filter(pk=pyli.pk).update(regional_unit=kalamata.regional_unit)
    with pytest.raises(ValueError):  # now no prefecture tells them apart
        MunicipalityIndex.published_names_now()


def test_the_registry_version_moves_on_with_what_the_names_depend_on_only(
    registry, django_assert_num_queries
):
    """On PostgreSQL the published names are kept under the registry's version (one row, moved on by
    triggers), not a hash of every municipality read on every request."""
    from django.db import connection

    from grants.imports.matching import _registry_fingerprint

    if connection.vendor != "postgresql":
        pytest.skip("the version is kept by PostgreSQL's triggers")
    with django_assert_num_queries(1):
        first = _registry_fingerprint()
    pyli = Municipality.objects.filter(name="ΔΗΜΟΣ ΠΥΛΗΣ")
    pyli.update(population_2021=1, contact_emails="x@example.gr")
    assert _registry_fingerprint() == first
    pyli.update(name="ΔΗΜΟΣ ΠΥΛΗΣ ΝΕΟΣ")
    second = _registry_fingerprint()
    assert second != first
    municipality = Municipality.objects.get(name="ΔΗΜΟΣ ΠΥΛΗΣ ΝΕΟΣ")
    municipality.regional_unit.save(update_fields=["name"])
    assert _registry_fingerprint() not in (first, second)
