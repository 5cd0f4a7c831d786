"""load_reference_data on the real files, run twice, and on crafted broken copies of them."""

import shutil
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from grants.models import AuditEvent, Municipality, Programme, Region, RegionalUnit, RegionCategory
from grants.reference import load_reference_data
from grants.reference_files import CATALOGUE_FILE, GRANTS_DATA, ReferenceDataError
from grants.services import municipality_update
from projects.models import CatalogueProject, Category
from projects.services import catalogue_project_save

MODELS = [Region, RegionalUnit, Municipality, Programme, Category, CatalogueProject]


@pytest.fixture
def loaded(db):
    call_command("load_reference_data", verbosity=0)


@pytest.fixture
def data_dir(tmp_path):
    """A private copy of every reference file, for tests that break one of them."""
    for path in GRANTS_DATA.glob("*.csv"):
        shutil.copy(path, tmp_path / path.name)
    shutil.copy(CATALOGUE_FILE, tmp_path / "catalogue.csv")
    return tmp_path


def edit_line(path, line_no, old, new):
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert old in lines[line_no - 1], f"{old!r} not on line {line_no} of {path.name}"
    lines[line_no - 1] = lines[line_no - 1].replace(old, new, 1)
    path.write_text("".join(lines), encoding="utf-8")


def load(data_dir):
    return load_reference_data(data_dir=data_dir, catalogue_path=data_dir / "catalogue.csv")


def db_state():
    """Every row of every reference table, as plain values, plus the audit trail's length."""
    rows = {m.__name__: sorted(map(repr, m.objects.order_by("pk").values_list())) for m in MODELS}
    rows["audit"] = AuditEvent.objects.count()
    return rows


def test_counts(loaded):
    assert Region.objects.count() == 13
    assert RegionalUnit.objects.count() == 74
    assert Municipality.objects.count() == 332
    assert Municipality.objects.filter(eligible=True).count() == 315
    assert Category.objects.count() == 7
    assert CatalogueProject.objects.count() == 38
    assert CatalogueProject.objects.filter(official=True).count() == 5
    assert not Municipality.objects.filter(elstat_code="9901").exists()


def test_registry_values(loaded):
    athens = Municipality.objects.select_related("regional_unit__region").get(elstat_code="4604")
    assert athens.name == "ΔΗΜΟΣ ΗΡΑΚΛΕΙΟΥ"
    assert (athens.population_2021, athens.regional_unit.code) == (50495, "46")
    assert athens.regional_unit.region.code == "EL30"
    crete = Municipality.objects.select_related("regional_unit").get(elstat_code="7101")
    assert (crete.population_2021, crete.regional_unit.code) == (177064, "71")

    trikala = Municipality.objects.get(elstat_code="2601")
    assert trikala.population_2011 < 100_000 and not trikala.eligible
    assert not Municipality.objects.get(name="ΔΗΜΟΣ ΠΑΤΡΕΩΝ").eligible
    kalamata = Municipality.objects.get(name="ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ")
    assert kalamata.eligible and kalamata.search_key == "ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ"
    assert Municipality.objects.filter(search_key="").count() == 0

    transition = set(Region.objects.filter(category=RegionCategory.TRANSITION).values_list("code", flat=True))
    assert transition == {"EL30", "EL42"}

    programme = Programme.objects.get(code="SMART-CITIES")
    assert programme.title == "Έξυπνες Πόλεις"
    assert programme.total_budget == Decimal("235285163.00")
    assert (
        programme.managing_authority == 'Ειδική Υπηρεσία Διαχείρισης Προγράμματος "Ψηφιακός Μετασχηματισμός"'
    )
    assert str(programme.call_date) == "2023-01-24"

    cyber = CatalogueProject.objects.get(title_el__startswith="Ολοκληρωμένη υποδομή προστασίας")
    assert cyber.official and cyber.category.order == 6
    assert set(CatalogueProject.objects.values_list("code", flat=True)) == {
        f"SC{i:02d}" for i in range(1, 39)
    }
    illustrative = CatalogueProject.objects.filter(official=False)
    assert all(p.source.startswith("illustrative") for p in illustrative)
    assert set(illustrative.values_list("category__order", flat=True)) == set(range(1, 8))
    assert list(Category.objects.order_by("order").values_list("order", "title_el", "title_en")) == CATEGORIES


# The seven categories in the words of the municipalities' own proposals (Δήμος Μετεώρων's names them
# so), as ../shared/data/catalogue_categories.csv has them since its fifth English title was quoted.
CATEGORIES = [
    (1, "Βιώσιμη Μετακίνηση", "Sustainable mobility"),
    (
        2,
        "Εξοικονόμηση Ενέργειας – Μείωση Δημοτικών Τελών – Μείωση Ενεργειακού Αποτυπώματος Δημοτικών Κτηρίων",
        "Energy saving and the energy footprint of municipal buildings",
    ),
    (3, "Βελτίωση Εξυπηρέτησης Πολίτη και Επιχείρησης", "Better service to citizens and businesses"),
    (4, "Βελτίωση Ποιότητας Ζωής", "Quality of life"),
    (
        5,
        "Ενίσχυση Τοπικής Δημοκρατίας και Διαβούλευσης καθώς και Διαφάνειας",
        "Local democracy, consultation and transparency",
    ),
    (6, "Προστασία από Κυβερνοεπιθέσεις", "Protection from cyber-attacks"),
    (7, "Ενίσχυση Ψηφιακών Υποδομών", "Digital infrastructure"),
]


def test_first_load_is_audited(loaded):
    events = AuditEvent.objects.filter(channel="command")
    assert events.get(action="municipality.bulk_create").after["count"] == 332
    assert "4604" in events.get(action="municipality.bulk_create").after["keys"]
    assert events.get(action="programme.create").after["total_budget"] == "235285163.00"
    # Written by a command (translations deactivated), yet in the site's language: the model's name is
    # Greek, the file's name and the count are the file's.
    note = events.get(action="region.bulk_create").note
    assert "13 περιφέρειες" in note and "13 regions" not in note


def test_second_run_changes_nothing(loaded):
    before = db_state()
    report = load_reference_data()
    assert not report.changed_anything
    assert db_state() == before


def test_rerun_updates_census_fields_only_and_keeps_officer_edits(loaded, data_dir, officer):
    kalamata = Municipality.objects.get(elstat_code="4401")
    municipality_update(
        municipality=kalamata,
        actor=officer,
        contact_emails="tech@kalamata.gr",
        eligibility_override=False,
        eligibility_override_reason="Funded by another instrument (test).",
    )
    entry = CatalogueProject.objects.get(code="SC02")
    entry.title_el = "Τίτλος από το παράρτημα της πρόσκλησης"
    catalogue_project_save(project=entry, actor=officer)
    # The census file is corrected: Kalamata's 2021 population changes.
    edit_line(
        data_dir / "census2021_municipalities.csv", 164, "4401,ΚΑΛΑΜΑΤΑΣ,71894,", "4401,ΚΑΛΑΜΑΤΑΣ,71900,"
    )
    events_before = AuditEvent.objects.count()

    report = load(data_dir)

    assert report.updated["municipalities"] == 1 and report.created["municipalities"] == 0
    kalamata.refresh_from_db()
    assert kalamata.population_2021 == 71900
    assert kalamata.contact_emails == "tech@kalamata.gr"
    assert kalamata.eligibility_override is False
    assert kalamata.eligibility_override_reason == "Funded by another instrument (test)."
    assert CatalogueProject.objects.get(code="SC02").title_el == "Τίτλος από το παράρτημα της πρόσκλησης"
    new_events = AuditEvent.objects.order_by("pk")[events_before:]
    assert [(e.action, e.channel, e.before, e.after) for e in new_events] == [
        ("municipality.update", "command", {"population_2021": 71894}, {"population_2021": 71900})
    ]


MALFORMED = [
    # (file, line to edit, old text, new text, line expected in the message, reason expected)
    (
        "census2021_municipalities.csv",
        1,
        "pop_total_2011,",
        "pop_2011,",
        1,
        "missing column(s): pop_total_2011",
    ),
    (
        "census2021_municipalities.csv",
        164,
        "4401,ΚΑΛΑΜΑΤΑΣ,71894,",
        "4401,ΚΑΛΑΜΑΤΑΣ,7i894,",
        164,
        "pop_total_2021",
    ),
    ("census2021_municipalities.csv", 129, "2603,ΠΥΛΗΣ", "2602,ΠΥΛΗΣ", 129, "duplicate ELSTAT code '2602'"),
    ("census2021_municipalities.csv", 164, "4401,", "0001,", 164, "unknown regional unit '00'"),
    ("regional_units.csv", 45, "44,Μεσσηνίας,EL65", "44,Μεσσηνίας,EL99", 45, "unknown region code 'EL99'"),
    ("census2021_regions.csv", 14, "EL43,", "EL42,", 14, "duplicate region code 'EL42'"),
    (
        "catalogue_categories.csv",
        6,
        '"Local democracy, consultation and transparency"',
        "Local, x",
        6,
        "fields",
    ),
    ("catalogue.csv", 3, ",1,0,illustrative", ",9,0,illustrative", 3, "unknown category_order 9"),
    ("catalogue.csv", 3, ",1,0,illustrative", ",1,yes,illustrative", 3, "official must be 0 or 1"),
    ("catalogue.csv", 3, "SC02,", "SC01,", 3, "duplicate code 'SC01'"),
    ("catalogue.csv", 3, ",1,0,illustrative", ",1,1,illustrative", 3, "marked official"),
]


@pytest.mark.parametrize(("name", "line", "old", "new", "expected_line", "reason"), MALFORMED)
def test_malformed_file_names_file_line_reason_and_changes_nothing(
    loaded, data_dir, name, line, old, new, expected_line, reason
):
    # An earlier file carries a valid change, so a partial load would be visible.
    edit_line(data_dir / "census2021_regions.csv", 2, ",562069,", ",562070,")
    edit_line(data_dir / name, line, old, new)
    before = db_state()

    with pytest.raises(ReferenceDataError) as excinfo:
        load(data_dir)

    message = str(excinfo.value)
    assert name in message and f"line {expected_line}:" in message and reason in message
    assert db_state() == before


def test_wrong_row_count(db, data_dir):
    path = data_dir / "census2021_regions.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")
    with pytest.raises(
        ReferenceDataError, match=r"census2021_regions.csv, line 13: expected 13 regions, found 12"
    ):
        load(data_dir)
    assert db_state() == {**{m.__name__: [] for m in MODELS}, "audit": 0}


def test_eligibility_count_is_checked(db, data_dir):
    # Pyli over 100,000 in 2011 would make 314 eligible: the rule or the file changed, so stop.
    edit_line(data_dir / "census2021_municipalities.csv", 129, "12915,14343,", "12915,114343,")
    with pytest.raises(ReferenceDataError, match="expected 315 eligible municipalities, found 314"):
        load(data_dir)
    assert Municipality.objects.count() == 0


def test_command_reports_the_error_as_a_command_error(db, data_dir):
    # A CommandError is what manage.py prints on stderr before exiting with status 1.
    edit_line(data_dir / "regional_units.csv", 45, "EL65", "EL99")
    with pytest.raises(CommandError, match=r"regional_units.csv, line 45: unknown region code 'EL99'"):
        call_command("load_reference_data", "--data-dir", str(data_dir), verbosity=0)
    assert Region.objects.count() == 0
