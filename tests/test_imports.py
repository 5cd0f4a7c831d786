"""Importing published decision lists (text, CSV, XLSX) and the catalogue: same result from every
format, idempotent, all or nothing with line-numbered errors, matching against the real registry."""

import datetime
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import Workbook

from grants.imports.inclusions import import_inclusions
from grants.imports.matching import MunicipalityIndex
from grants.imports.values import parse_amount, parse_date, parse_status
from grants.models import Application, AuditEvent

SAMPLE = Path(__file__).resolve().parent.parent / "grants" / "data" / "inclusions_published_sample.txt"
D = Decimal
# ELSTAT code → (status, budget, inclusion date) as published in the sample.
EXPECTED = {
    "4607": ("included", D("639338.00"), datetime.date(2024, 7, 2)),
    "0803": ("included", D("909749.92"), datetime.date(2023, 7, 28)),
    "4706": ("included", D("1632760.08"), datetime.date(2023, 5, 17)),
    "5301": ("included", D("1609833.17"), datetime.date(2024, 4, 18)),
    "4103": ("included", D("229700.00"), datetime.date(2024, 6, 6)),
    "4704": ("included", D("1466028.00"), datetime.date(2024, 7, 2)),
    "1301": ("included", D("609771.68"), datetime.date(2024, 4, 9)),
    "4609": ("included", D("1235007.20"), datetime.date(2024, 7, 18)),
    "2603": ("to_be_included", D("399916.12"), None),
    "3102": ("to_be_included", D("378440.00"), None),
}
ROWS = [
    ("Ενταγμένη", "ΔΗΜΟΣ ΜΕΤΑΜΟΡΦΩΣΕΩΣ ΝΟΜΟΥ ΑΤΤΙΚΗΣ", D("639338.00"), datetime.date(2024, 7, 2)),
    ("Ενταγμένη", "ΔΗΜΟΣ ΗΡΩΙΚΗΣ ΠΟΛΕΩΣ ΝΑΟΥΣΑΣ", D("909749.92"), datetime.date(2023, 7, 28)),
    ("Ενταγμένη", "ΔΗΜΟΣ ΠΕΤΡΟΥΠΟΛΕΩΣ ΝΟΜΟΥ ΑΤΤΙΚΗΣ", D("1632760.08"), datetime.date(2023, 5, 17)),
    ("Ενταγμένη", "ΔΗΜΟΣ ΜΥΤΙΛΗΝΗΣ", D("1609833.17"), datetime.date(2024, 4, 18)),
    ("Ενταγμένη", "ΔΗΜΟΣ ΕΠΙΔΑΥΡΟΥ", D("229700.00"), datetime.date(2024, 6, 6)),
    ("Ενταγμένη", "ΔΗΜΟΣ ΑΙΓΑΛΕΩ ΝΟΜΟΥ ΑΤΤΙΚΗΣ", D("1466028.00"), datetime.date(2024, 7, 2)),
    ("Ενταγμένη", "ΔΗΜΟΣ ΠΟΛΥΓΥΡΟΥ", D("609771.68"), datetime.date(2024, 4, 9)),
    ("Ενταγμένη", "ΔΗΜΟΣ ΠΑΠΑΓΟΥ – ΧΟΛΑΡΓΟΥ", D("1235007.20"), datetime.date(2024, 7, 18)),
    ("Προς ένταξη", "ΔΗΜΟΣ ΠΥΛΗΣ", D("399916.12"), None),
    ("Προς ένταξη", "ΔΗΜΟΣ ΔΩΡΙΔΟΣ", D("378440.00"), None),
]
HEADER = ["ΚΑΤΑΣΤΑΣΗ ΠΡΑΞΗΣ", "ΔΙΚΑΙΟΥΧΟΣ", "Π/Υ", "ΗΜΕΡΟΜΗΝΙΑ ΕΝΤΑΞΗΣ"]


@pytest.fixture(autouse=True)
def english():
    # Messages are asserted in English; the Greek catalogue is the lead's.
    with translation.override("en"):
        yield


def state(programme):
    return {
        a.municipality.elstat_code: (a.status, a.budget, a.inclusion_date)
        for a in Application.objects.filter(programme=programme).select_related("municipality")
    }


def counts():
    return Application.objects.count(), AuditEvent.objects.count()


def published(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def greek(amount: Decimal) -> str:
    return f"{amount:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def csv_bytes(separator=",", amounts=published, bom=False, encoding="utf-8"):
    def cell(value):
        text = str(value)
        return f'"{text}"' if separator in text else text

    lines = [separator.join(HEADER)]
    for status, name, amount, date in ROWS:
        date_text = date.strftime("%d/%m/%Y") if date else "–"
        lines.append(separator.join(cell(v) for v in (status, name, amounts(amount), date_text)))
    text = "\r\n".join(lines) + "\r\n"
    return (("\ufeff" if bom else "") + text).encode(encoding)


def xlsx_bytes(typed=True, start_row=1):
    book = Workbook()
    sheet = book.active
    for _ in range(start_row - 1):
        sheet.append([])
    sheet.append(HEADER)
    for status, name, amount, date in ROWS:
        if typed:
            sheet.append([status, name, float(amount), date])
        else:
            sheet.append([status, name, published(amount), date.strftime("%d/%m/%Y") if date else "–"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def run(content, fmt="text", programme=None, **kw):
    return import_inclusions(content, fmt=fmt, programme=programme, **kw)


# --- the same list in every format ----------------------------------------------------------------


def test_sample_text_records_every_row_as_published(registry):
    report = run(SAMPLE.read_bytes(), programme=registry, source="sample.txt")

    assert report.ok, report.errors
    assert state(registry) == EXPECTED
    assert (report.created, report.updated, report.unchanged) == (10, 0, 0)
    assert report.total_budget == D("9110544.17")
    events = AuditEvent.objects.filter(action="workflow.record_decision", channel="import")
    assert events.count() == 10
    # Notes are in the site's language (Greek), whatever the importer's.
    assert "sample.txt, γραμμή 2" in events.get(municipality__elstat_code="4607").note


@pytest.mark.parametrize(
    "fmt, content",
    [
        ("csv", lambda: csv_bytes(",", published)),
        ("csv", lambda: csv_bytes(",", greek)),
        ("csv", lambda: csv_bytes(";", published)),
        ("csv", lambda: csv_bytes(";", greek, bom=True)),
        ("csv", lambda: csv_bytes(";", greek, encoding="cp1253")),
        ("xlsx", lambda: xlsx_bytes(typed=True)),
        ("xlsx", lambda: xlsx_bytes(typed=False, start_row=3)),
    ],
    ids=[
        "csv-comma",
        "csv-comma-greek",
        "csv-semicolon",
        "csv-semicolon-greek-bom",
        "csv-cp1253",
        "xlsx",
        "xlsx-text",
    ],
)
def test_every_format_gives_the_same_result(registry, fmt, content):
    report = run(content(), fmt, registry)

    assert report.ok, [str(e) for e in report.errors]
    assert state(registry) == EXPECTED
    assert report.total_budget == D("9110544.17")


def with_dimension(xlsx: bytes, ref: str) -> bytes:
    """The same workbook with its first sheet claiming another used range, as some writers leave it."""
    source, target = zipfile.ZipFile(io.BytesIO(xlsx)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, n = re.subn(rb'<dimension ref="[^"]*" ?/>', f'<dimension ref="{ref}"/>'.encode(), data)
                assert n == 1
            out.writestr(item, data)
    return target.getvalue()


def test_an_xlsx_with_a_wrong_dimension_is_read_whole(registry):
    # read_only openpyxl trusts <dimension>; a sheet that claims A1:D4 still has eleven rows.
    report = run(with_dimension(xlsx_bytes(), "A1:D4"), "xlsx", registry)

    assert report.ok, [str(e) for e in report.errors]
    assert state(registry) == EXPECTED


def test_a_second_import_changes_nothing_and_says_so(registry):
    run(SAMPLE.read_bytes(), programme=registry)
    before = counts()

    again = run(csv_bytes(";", greek), "csv", registry)

    assert again.ok
    assert (again.created, again.updated, again.unchanged) == (0, 0, 10)
    assert counts() == before
    assert any("Nothing changed" in line for line in again.summary())


def test_a_changed_budget_updates_one_application_with_its_audit(registry):
    run(SAMPLE.read_bytes(), programme=registry)
    changed = SAMPLE.read_text().replace("229,700.00", "229,800.00")

    report = run(changed, programme=registry)

    assert (report.created, report.updated, report.unchanged) == (0, 1, 9)
    app = Application.objects.get(municipality__elstat_code="4103")
    assert app.budget == D("229800.00")
    event = AuditEvent.objects.filter(application=app).latest("id")
    assert event.before == {"status": "included", "budget": "229700.00"}
    assert event.after == {"status": "included", "budget": "229800.00"}


def test_rule_breaks_are_recorded_with_warnings_per_line(registry):
    # Πύλη's cap is 410.000 € (14,343 inhabitants in 2011); Πάτρα is over 100,000 inhabitants.
    text = "Προς ένταξη ΔΗΜΟΣ ΠΥΛΗΣ 500,000.00 –\nΕνταγμένη ΔΗΜΟΣ ΠΑΤΡΕΩΝ 1,000,000.00 01/07/2024\n"

    report = run(text, programme=registry)

    assert report.ok
    assert {w.line for w in report.warnings} == {1, 2}
    assert Application.objects.get(municipality__elstat_code="2603").budget == D("500000.00")
    note = AuditEvent.objects.get(action="workflow.record_decision", municipality__elstat_code="2603").note
    assert "⚠" in note and "410.000,00" in note
    # Shown to the importer in their language, recorded in the site's.
    assert any("exceeds the cap" in w.message for w in report.warnings)
    assert "υπερβαίνει το ανώτατο όριο" in note and "exceeds" not in note


def test_dry_run_reports_and_saves_nothing(registry):
    before = counts()

    report = run(SAMPLE.read_bytes(), programme=registry, dry_run=True)

    assert report.ok and report.created == 10
    assert counts() == before


# --- all or nothing -------------------------------------------------------------------------------

GOOD = "Ενταγμένη ΔΗΜΟΣ ΕΠΙΔΑΥΡΟΥ 229,800.00 06/06/2024"


@pytest.mark.parametrize(
    "fmt, content, line, fragment",
    [
        ("xlsx", b"not a workbook", None, "XLSX"),
        ("text", b"\xff\xfe\x81 \x81", None, "UTF-8"),
        ("csv", "ΚΑΤΑΣΤΑΣΗ;ΔΙΚΑΙΟΥΧΟΣ;ΠΟΣΟ\n", 1, "ΠΟΣΟ"),
        ("text", "ΚΑΤΑΣΤΑΣΗ ΠΡΑΞΗΣ ΠΟΣΟ\n" + GOOD, 1, "ΚΑΤΑΣΤΑΣΗ ΠΡΑΞΗΣ ΠΟΣΟ"),
        ("text", GOOD + "\n\nΕνταγμένη ΔΗΜΟΣ ΠΥΛΗΣ 12,34,567.00 01/01/2024", 3, "12,34,567.00"),
        ("text", GOOD + "\nΕνταγμένη ΔΗΜΟΣ ΠΥΛΗΣ 1.234.56 01/01/2024", 2, "1.234.56"),
        ("text", GOOD + "\nΕνταγμένη ΔΗΜΟΣ ΠΥΛΗΣ 1,000.00 31/02/2024", 2, "31/02/2024"),
        ("text", GOOD + "\nΑπορρίφθηκε ΔΗΜΟΣ ΠΥΛΗΣ 1,000.00 –", 2, "Απορρίφθηκε"),
        ("csv", "status,beneficiary,budget\nrejected,ΔΗΜΟΣ ΠΥΛΗΣ,1000\n", 2, "rejected"),
        ("text", GOOD + "\nΕνταγμένη ΔΗΜΟΣ ΚΑΛΑΜΑΤΑ 1,000.00 01/01/2024", 2, "ΚΑΛΑΜΑΤΑΣ"),
        ("text", GOOD + "\nΕνταγμένη ΔΗΜΟΣ ΗΡΑΚΛΕΙΟΥ 1,000.00 01/01/2024", 2, "4604"),
        ("text", GOOD + "\nΕνταγμένη Δήμος Επιδαύρου 1,000.00 01/01/2024", 2, "1"),
        ("text", GOOD + "\nΕνταγμένη ΔΗΜΟΣ ΠΥΛΗΣ 1,000.00 –", 2, ""),
        ("csv", "ΚΑΤΑΣΤΑΣΗ ΠΡΑΞΗΣ,ΔΙΚΑΙΟΥΧΟΣ,Π/Υ\nΕνταγμένη,ΔΗΜΟΣ ΠΥΛΗΣ,1,000.00,01/01/2024\n", 2, "5 cells"),
    ],
    ids=[
        "unreadable-xlsx",
        "unreadable-encoding",
        "unknown-header-csv",
        "unknown-header-text",
        "bad-grouping",
        "bad-amount",
        "impossible-date",
        "unknown-status",
        "non-decision-status",
        "unknown-beneficiary",
        "ambiguous-beneficiary",
        "twice",
        "included-without-date",
        "extra-cells",
    ],
)
def test_every_error_is_reported_with_its_line_and_nothing_is_written(registry, fmt, content, line, fragment):
    run(SAMPLE.read_bytes(), programme=registry)
    before_state, before_counts = state(registry), counts()

    report = run(content, fmt, registry)

    assert not report.ok
    assert any(e.line == line and fragment in e.message for e in report.errors), [
        str(e) for e in report.errors
    ]
    assert counts() == before_counts
    assert state(registry) == before_state


def test_every_error_of_a_list_is_reported_not_just_the_first(registry):
    text = "Ενταγμένη ΔΗΜΟΣ ΑΤΛΑΝΤΙΔΑΣ 1,000.00 01/01/2024\nΕνταγμένη ΔΗΜΟΣ ΠΥΛΗΣ abc 01/01/2024\n" + GOOD

    report = run(text, programme=registry)

    assert sorted({e.line for e in report.errors}) == [1, 2]
    assert Application.objects.count() == 0


# --- values and matching --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, amount",
    [
        ("1,234.56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1,234", "1234"),
        ("1.234", "1234"),
        ("1.234.567", "1234567"),
        ("1,234,567.8", "1234567.80"),
        ("1234,5", "1234.50"),
        ("12,34", "12.34"),
        ("1234.50", "1234.50"),
        ("639338", "639338"),
        ("1 234,56 €", "1234.56"),
        (909749.92, "909749.92"),
        (229700, "229700"),
    ],
)
def test_amounts_as_published_or_the_greek_way(text, amount):
    assert parse_amount(text) == Decimal(amount)


@pytest.mark.parametrize("text", ["1234.567", "1,2345", "0,123", "1.234,5.6", "-5", "abc", "", 0.125])
def test_malformed_amounts_are_refused(text):
    with pytest.raises(ValueError):
        parse_amount(text)


@pytest.mark.parametrize("text", ["1234.567", "1234,567", "1.234,567", "1,234.567", 0.125])
def test_three_decimals_are_refused_in_words_not_rounded(text):
    with pytest.raises(ValueError, match="more than two decimals"):
        parse_amount(text)


@pytest.mark.parametrize("fmt", ["text", "csv"])
def test_a_status_with_latin_look_alike_letters_reads_as_the_greek_one(registry, fmt):
    latin_e = "E" + "Ενταγμένη"[1:]  # «Ενταγμένη» with a Latin E: it looks the same
    to_be = "ΠPOΣ ENTAΞH"  # Latin P, O, E, N, T, A, H
    if fmt == "text":
        content = f"{latin_e} ΔΗΜΟΣ ΕΠΙΔΑΥΡΟΥ 229,700.00 06/06/2024\n{to_be} ΔΗΜΟΣ ΠΥΛΗΣ 399,916.12 –\n"
    else:
        content = (
            "ΚΑΤΑΣΤΑΣΗ ΠΡΑΞΗΣ;ΔΙΚΑΙΟΥΧΟΣ;Π/Υ;ΗΜΕΡΟΜΗΝΙΑ ΕΝΤΑΞΗΣ\n"
            f"{latin_e};ΔΗΜΟΣ ΕΠΙΔΑΥΡΟΥ;229.700,00;06/06/2024\n{to_be};ΔΗΜΟΣ ΠΥΛΗΣ;399.916,12;–\n"
        )

    report = run(content, fmt, registry)

    assert report.ok, [str(e) for e in report.errors]
    assert state(registry) == {"4103": EXPECTED["4103"], "2603": EXPECTED["2603"]}


def test_a_latin_word_that_is_no_status_is_still_refused():
    with pytest.raises(ValueError, match="unknown status"):
        parse_status("ENTAXH")


def test_dates():
    assert parse_date("02/07/2024") == datetime.date(2024, 7, 2)
    assert parse_date("–") is None and parse_date("") is None and parse_date(None) is None
    assert parse_date(datetime.datetime(2024, 7, 2, 0, 0)) == datetime.date(2024, 7, 2)
    for bad in ("31/02/2024", "2024/07/02", "02/07/24", 45000):
        with pytest.raises(ValueError):
            parse_date(bad)


@pytest.mark.parametrize(
    "published, code",
    [
        ("ΔΗΜΟΣ ΗΡΑΚΛΕΙΟΥ ΝΟΜΟΥ ΑΤΤΙΚΗΣ", "4604"),
        ("ΔΗΜΟΣ ΗΡΑΚΛΕΙΟΥ ΝΟΜΟΥ ΗΡΑΚΛΕΙΟΥ", "7101"),
        ("Δήμος Ηρακλείου Κρήτης", "7101"),
        ("ΔΗΜΟΣ ΗΡΩΙΚΗΣ ΠΟΛΕΩΣ ΝΑΟΥΣΑΣ", "0803"),
        ("δήμος ηρωικής πόλεως Νάουσας", "0803"),
        ("ΔΗΜΟΣ ΝΑΟΥΣΑΣ", "0803"),
        ("ΔΗΜΟΣ ΙΕΡΑΣ ΠΟΛΕΩΣ ΜΕΣΟΛΟΓΓΙΟΥ", "3801"),
        ("ΔΗΜΟΣ ΠΑΠΑΓΟΥ – ΧΟΛΑΡΓΟΥ", "4609"),
        ("ΔΗΜΟΣ ΠΑΠΑΓΟΥ-ΧΟΛΑΡΓΟΥ", "4609"),
        ("Δήμος  Μοσχάτου—Ταύρου", "4806"),
        ("ΔΗΜΟΣ ΚΑΛΑΜAΤΑΣ", "4401"),  # a Latin A among the Greek capitals
        ("Δήμος Καλαμάτας", "4401"),
        ("ΔΗΜΟΣ ΘΗΡΑΣ ΝΟΜΟΥ ΚΥΚΛΑΔΩΝ", "6001"),
    ],
)
def test_matching(registry, published, code):
    municipality, reason = MunicipalityIndex.load().match(published)

    assert municipality is not None, reason
    assert municipality.elstat_code == code


@pytest.mark.parametrize(
    "published, fragment",
    [
        ("ΔΗΜΟΣ ΗΡΑΚΛΕΙΟΥ", "7101"),
        ("ΔΗΜΟΣ ΜΕΤΑΜΟΡΦΩΣΕΩΣ ΝΟΜΟΥ ΧΑΝΙΩΝ", "4607"),
        ("ΔΗΜΟΣ ΑΙΓΑΛΕΩ ΝΟΜΟΥ ΑΤΛΑΝΤΙΔΟΣ", "ΑΤΛΑΝΤΙΔΟΣ"),
        ("ΔΗΜΟΣ ΚΑΛΑΜΑΤΑ", "ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ"),
    ],
)
def test_matching_refusals_name_the_candidates(registry, published, fragment):
    municipality, reason = MunicipalityIndex.load().match(published)

    assert municipality is None
    assert fragment in reason


def test_the_index_is_one_query(registry, django_assert_num_queries):
    with django_assert_num_queries(1):
        MunicipalityIndex.load()


# --- the command ----------------------------------------------------------------------------------


def test_command_imports_a_file_and_refuses_a_wrong_one(registry, tmp_path, capsys):
    call_command("import_inclusions", str(SAMPLE))
    assert state(registry) == EXPECTED
    # Commands run with translations deactivated; the notes they write are still in Greek.
    note = AuditEvent.objects.filter(action="workflow.record_decision").latest("id").note
    assert note.startswith(f"Δημοσιευμένος κατάλογος {SAMPLE.name}, γραμμή ")
    bad = tmp_path / "bad.csv"
    bad.write_text("ΚΑΤΑΣΤΑΣΗ ΠΡΑΞΗΣ;ΔΙΚΑΙΟΥΧΟΣ;Π/Υ\nΕνταγμένη;ΔΗΜΟΣ ΠΥΛΗΣ;1.000,00\n", encoding="utf-8")
    before = counts()

    with pytest.raises(CommandError):
        call_command("import_inclusions", str(bad), "--programme", "SMART-CITIES")

    assert "2" in capsys.readouterr().err
    assert counts() == before


def test_command_dry_run_and_user(registry, officer):
    call_command("import_inclusions", str(SAMPLE), "--dry-run", "--user", "officer")
    assert Application.objects.count() == 0
    call_command("import_inclusions", str(SAMPLE), "--user", "officer")
    assert AuditEvent.objects.filter(action="workflow.record_decision", actor=officer).count() == 10


def test_command_lists_rows_with_the_admins_labels_when_asked(registry, capsys):
    from grants.imports.inclusions import OUTCOME_LABELS

    call_command("import_inclusions", str(SAMPLE), "--dry-run", verbosity=2)
    out = capsys.readouterr().out
    created = str(OUTCOME_LABELS["created"])
    assert f"\tΔΗΜΟΣ ΕΠΙΔΑΥΡΟΥ\tIncluded\t229.700,00 €\t{created}\n" in out
    assert "10 rows read, total budget " in out
    assert f"{created.capitalize()}: 10, {OUTCOME_LABELS['updated']}: 0" in out
