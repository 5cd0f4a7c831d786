"""Files built to exhaust the server are refused early and briefly: the unpacked size of an XLSX, the
number of rows, the width of a row, the length of a quoted cell or of a beneficiary, and the number of
errors listed."""

import io
import re
import time
import zipfile

import pytest
import xlsxwriter
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import Workbook

from grants.imports import readers
from grants.imports.catalogue import import_catalogue
from grants.imports.inclusions import import_inclusions
from grants.models import Application

HEADER = ["ΚΑΤΑΣΤΑΣΗ ΠΡΑΞΗΣ", "ΔΙΚΑΙΟΥΧΟΣ", "Π/Υ", "ΗΜΕΡΟΜΗΝΙΑ ΕΝΤΑΞΗΣ"]
GOOD = ["Προς ένταξη", "ΔΗΜΟΣ ΠΥΛΗΣ", 399916.12, None]
URL = "/admin/grants/import-inclusions/"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def xlsx(*rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def with_part(workbook: bytes, name: str, data: bytes) -> bytes:
    """The workbook with one part replaced or added."""
    source, target = zipfile.ZipFile(io.BytesIO(workbook)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            if item.filename != name:
                out.writestr(item, source.read(item.filename))
        out.writestr(name, data)
    return target.getvalue()


def shared_strings(text: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
        f"<si><t>{text}</t></si></sst>"
    ).encode()


def messages(report) -> list[str]:
    # Sizes are written with a no-break space («2.9 MB»).
    return [str(e).replace("\xa0", " ") for e in report.errors]


def run(content, fmt, programme):
    return import_inclusions(content, fmt=fmt, programme=programme)


# --- XLSX unpacked size -----------------------------------------------------------------------------


def test_a_part_that_unpacks_beyond_the_limit_is_refused_before_it_is_read(registry, monkeypatch):
    monkeypatch.setattr(readers, "MAX_PART_BYTES", 1024 * 1024)
    # 3 MB of one letter compress to a few kilobytes, as a billion did to 951 KB.
    bomb = with_part(xlsx(HEADER, GOOD), "xl/sharedStrings.xml", shared_strings("A" * 3_000_000))
    assert len(bomb) < 50_000

    report = run(bomb, "xlsx", registry)

    [error] = messages(report)
    assert "too large when unpacked" in error and "xl/sharedStrings.xml" in error
    assert "2.9 MB" in error and "1.0 MB" in error
    assert Application.objects.count() == 0


def test_parts_that_unpack_beyond_the_total_limit_are_refused(registry, monkeypatch):
    monkeypatch.setattr(readers, "MAX_UNPACKED_BYTES", 2 * 1024 * 1024)
    bomb = with_part(xlsx(HEADER, GOOD), "xl/sharedStrings.xml", shared_strings("A" * 3_000_000))

    [error] = messages(run(bomb, "xlsx", registry))

    assert error == "The file is too large when unpacked: 2.9 MB, the limit is 2.0 MB."


def test_the_limits_leave_room_for_a_list_of_100000_lines():
    # The measured need, extrapolated from 2,000 lines like bench/bench_import.py's: a list of
    # 100,000 lines must import with room to spare.
    rows = [["Ενταγμένη", f"Δήμος Δοκιμής {i:06d}", 200000.25 + i, "02/07/2024"] for i in range(2000)]
    with zipfile.ZipFile(io.BytesIO(xlsx(HEADER, *rows))) as archive:
        sizes = [item.file_size for item in archive.infolist()]
    per_line = max(sizes) / 2000
    assert per_line * 100_000 * 3 < readers.MAX_PART_BYTES
    assert sum(sizes) / 2000 * 100_000 * 3 < readers.MAX_UNPACKED_BYTES
    assert readers.MAX_ROWS >= 2 * 100_000


@pytest.mark.parametrize(
    "content",
    [b"PK\x03\x04 truncated", b"not a workbook at all"],
    ids=["corrupt-zip", "not-a-zip"],
)
def test_a_corrupt_or_foreign_file_is_refused_clearly(registry, content):
    [error] = messages(run(content, "xlsx", registry))
    assert error.startswith("Unreadable file: not an XLSX workbook")


def test_a_part_whose_data_is_damaged_is_refused_not_a_server_error(registry):
    good = xlsx(HEADER, GOOD, *[["Ενταγμένη", f"ΔΗΜΟΣ {i}", 1.0, None] for i in range(300)])
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        sheet = archive.getinfo("xl/worksheets/sheet1.xml")
    # Damage the middle of the sheet's compressed data (the local header is 30 bytes + the name).
    start = sheet.header_offset + 30 + len(sheet.filename) + sheet.compress_size // 2
    damaged = good[:start] + bytes(b ^ 0xFF for b in good[start : start + 16]) + good[start + 16 :]

    [error] = messages(run(damaged, "xlsx", registry))

    assert error.startswith("Unreadable file: not an XLSX workbook")


# --- rows, widths, quoted cells --------------------------------------------------------------------


def test_reading_stops_after_the_row_limit_in_every_format(registry, monkeypatch):
    monkeypatch.setattr(readers, "MAX_ROWS", 5)
    text_rows = ["Προς ένταξη ΔΗΜΟΣ ΠΥΛΗΣ 1,000.00 –"] * 6
    csv_rows = [",".join(HEADER)] + ["Προς ένταξη,ΔΗΜΟΣ ΠΥΛΗΣ,1000,"] * 5
    for content, fmt in (
        ("\n".join(text_rows), "text"),
        ("\n".join(csv_rows), "csv"),
        (xlsx(HEADER, *[GOOD] * 5), "xlsx"),
    ):
        [error] = messages(run(content, fmt, registry))
        assert error == "The list is too long: the limit is 5 lines, and nothing after line 5 was read.", fmt


def test_a_list_within_the_row_limit_is_read(registry, monkeypatch):
    monkeypatch.setattr(readers, "MAX_ROWS", 5)
    report = run(xlsx(HEADER, GOOD, [], [], []), "xlsx", registry)
    assert report.ok, messages(report)


def sparse_xlsx(*rows, copies_of_last=1) -> bytes:
    """A workbook of rows given as {column index: value}, written cell by cell: a row whose only far
    cell is in the last column costs one cell here, where openpyxl's append() would build all 16,384
    (32 million cell objects, ~10 GB, for the test below). xlsxwriter still visits every column of
    each row's span when it saves (12 s for 2,000 such rows), so the last row is written once and its
    XML repeated `copies_of_last` times, renumbered: the same sheet xlsxwriter would have written."""
    data = io.BytesIO()
    book = xlsxwriter.Workbook(data, {"in_memory": True})
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in row.items():
            sheet.write(r, c, value)
    book.close()
    if copies_of_last == 1:
        return data.getvalue()
    name = "xl/worksheets/sheet1.xml"
    xml = zipfile.ZipFile(data).read(name).decode()
    last = len(rows)
    start = xml.index(f'<row r="{last}"')
    end = xml.index("</row>", start) + len("</row>")
    template = xml[start:end]
    copies = "".join(
        re.sub(rf'(r="[A-Z]*){last}"', rf'\g<1>{n}"', template) for n in range(last, last + copies_of_last)
    )
    xml = xml[:start] + copies + xml[end:]
    xml = re.sub(
        r'<dimension ref="([A-Z]+1:[A-Z]+)\d+"', rf'<dimension ref="\g<1>{last + copies_of_last - 1}"', xml
    )
    return with_part(data.getvalue(), name, xml.encode())


def test_a_cell_far_to_the_right_is_an_error_found_without_reading_every_column(registry):
    wide = {0: "Ενταγμένη", 1: "ΔΗΜΟΣ ΠΥΛΗΣ", 2: 1.0, 16383: "x"}
    content = sparse_xlsx(dict(enumerate(HEADER)), dict(enumerate(GOOD)), wide, copies_of_last=2000)

    started = time.perf_counter()
    report = run(content, "xlsx", registry)

    assert time.perf_counter() - started < 30
    assert report.errors.total == 2000
    assert report.errors[0].line == 3 and "16384 cells where the header has 4" in report.errors[0].message


def test_quoted_cells_are_cut_short(registry):
    long_status = "Σ" * 100_000
    text = f"{long_status} ΔΗΜΟΣ ΠΥΛΗΣ 1,000.00 –\nΕνταγμένη ΔΗΜΟΣ ΠΥΛΗΣ {'9' * 100_000} 01/01/2024"
    csv = ",".join(HEADER[:3] + ["Ω" * 100_000]) + "\n"

    errors = messages(run(text, "text", registry)) + messages(run(csv, "csv", registry))

    assert len(errors) == 3 and all(len(e) < 400 for e in errors), errors
    assert all("Σ" * 80 + "…" in e or "9" * 80 + "…" in e or "Ω" * 80 + "…" in e for e in errors)


def test_a_beneficiary_longer_than_any_name_is_refused_quickly(registry):
    text = f"Ενταγμένη ΔΗΜΟΣ {'ΠΥΛΗΣ,' * 20_000}Χ 1,000.00 01/01/2024"

    started = time.perf_counter()
    [error] = messages(run(text, "text", registry))

    assert time.perf_counter() - started < 5
    assert "a beneficiary has at most 200 characters" in error and len(error) < 300


# --- how many errors are listed ----------------------------------------------------------------------


def test_an_unknown_header_names_a_few_columns_and_counts_the_rest(registry):
    csv = ",".join(HEADER[:3] + [f"C{i}" for i in range(1_000)]) + "\nΠρος ένταξη,ΔΗΜΟΣ ΠΥΛΗΣ,1000\n"

    report = run(csv, "csv", registry)

    assert len(report.errors) == readers.MAX_HEADER_ERRORS
    assert report.errors.total == 1_000
    assert report.summary() == ["1000 errors: nothing was imported."]
    assert report.errors.more_line == "…and 995 more errors, not listed."


def test_row_errors_are_listed_up_to_the_limit_then_counted(registry):
    text = "\n".join(f"Ενταγμένη ΔΗΜΟΣ ΑΤΛΑΝΤΙΔΑΣ {i} 1,000.00 01/01/2024" for i in range(150))

    report = run(text, "text", registry)

    assert [e.line for e in report.errors] == list(range(1, readers.MAX_ERRORS + 1))
    assert report.errors.more == 50 and report.errors.more_line == "…and 50 more errors, not listed."
    assert Application.objects.count() == 0


def test_the_command_shows_the_cap(registry, tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text("\n".join(f"Ενταγμένη ΔΗΜΟΣ ΑΤΛΑΝΤΙΔΑΣ {i} 1,000.00 01/01/2024" for i in range(150)))

    with pytest.raises(CommandError, match="150 errors"):
        call_command("import_inclusions", str(bad))

    err = capsys.readouterr().err
    assert err.count("ΑΤΛΑΝΤΙΔΑΣ") == readers.MAX_ERRORS and "…and 50 more errors, not listed." in err


def test_the_catalogue_command_shows_the_cap(registry, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        ",".join(["code", "title_el", "title_en", "category_order"] + [f"x{i}" for i in range(50)])
    )

    with pytest.raises(CommandError, match="50 errors"):
        call_command("import_catalogue", str(bad))

    assert "…and 45 more errors, not listed." in capsys.readouterr().err
    assert import_catalogue(bad.read_bytes(), fmt="csv").errors.total == 50


# --- the admin page ----------------------------------------------------------------------------------


def test_the_admin_page_shows_the_cap(client, registry, officer):
    client.force_login(officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    text = "\n".join(f"Ενταγμένη ΔΗΜΟΣ ΑΤΛΑΝΤΙΔΑΣ {i} 1,000.00 01/01/2024" for i in range(150))

    response = client.post(URL, {"programme": registry.pk, "text": text, "format": ""})

    page = response.content.decode()
    [listed] = re.findall(r'<ul class="errorlist">(.*?)</ul>', page, re.S)
    assert "150 errors: nothing was imported." in page
    assert listed.count("<li>") == readers.MAX_ERRORS + 1
    assert listed.endswith("<li>…and 50 more errors, not listed.</li>")
