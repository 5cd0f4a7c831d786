"""Reading a published list as text, CSV or XLSX into raw rows that remember their line number.

Nothing is interpreted here beyond splitting: amounts, dates, statuses and names are checked by the
importer, so that every reader reports the same errors in the same words."""

import csv
import io
import itertools
import zipfile
import zlib
from dataclasses import dataclass

from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from grants import published
from grants.imports.values import (
    MISSING_DATE,
    STATUSES,
    looks_like_amount,
    looks_like_date,
    status_key,
)
from grants.text import fold, quoted

FORMATS = ("text", "csv", "xlsx")
TEXT_HEADER = fold(published.TEXT_HEADER)
# Folded header cell → field. The four published columns (grants.published), a shorter and a longer
# spelling seen in lists, and plain English names for files written by a program.
COLUMNS = {
    **{heading: name for name, heading in published.HEADINGS.items()},
    "ΚΑΤΑΣΤΑΣΗ": "status",
    "STATUS": "status",
    "BENEFICIARY": "beneficiary",
    "ΠΡΟΫΠΟΛΟΓΙΣΜΟΣ": "budget",
    "BUDGET": "budget",
    "INCLUSION DATE": "inclusion_date",
    "INCLUSION_DATE": "inclusion_date",
}
COLUMNS = {fold(k): v for k, v in COLUMNS.items()}
REQUIRED = ("status", "beneficiary", "budget")
PUBLISHED_COLUMNS = ", ".join(published.HEADINGS.values())

# Limits against files built to exhaust the server; each is far above what a real list needs, and the
# tests lower them rather than build gigabytes.
# A list has one line per municipality: 100,000 lines (bench/bench_import.py) must import.
MAX_ROWS = 200_000
# An XLSX of 100,000 lines unpacks to about 28 MB (nearly all of it the sheet); the upload itself is
# at most 10 MB, but a zip can declare a thousand times its size, and openpyxl holds the shared strings
# in memory whole.
MAX_UNPACKED_BYTES = 150 * 1024 * 1024
MAX_PART_BYTES = 100 * 1024 * 1024
# openpyxl pads a row up to its last cell: one cell in column XFD turns a 40-byte row into 16,384
# cells. Wider rows are judged without looking at each cell.
MAX_COLUMNS = 100
# A report is read by a person: past these, errors are counted, not listed.
MAX_ERRORS = 100
MAX_HEADER_ERRORS = 5


@dataclass(frozen=True)
class TableSpec:
    """The columns a CSV/XLSX file may have: folded header → field, the required fields, and how to
    name the expected columns in an error."""

    columns: dict
    required: tuple
    expected: str


INCLUSIONS = TableSpec(COLUMNS, REQUIRED, PUBLISHED_COLUMNS)


@dataclass
class RawRow:
    line: int
    status: object
    beneficiary: object
    budget: object
    inclusion_date: object = None


@dataclass
class RowError:
    line: int | None
    message: str

    def __str__(self):
        if self.line is None:
            return str(self.message)
        return _("line %(n)d: %(m)s") % {"n": self.line, "m": self.message}


class ErrorList(list):
    """The first `limit` errors in the order they were found, and how many more there were (`more`):
    a hopeless or hostile file must not become a report of a million lines, nor be held in memory as
    one. Only append() and extend() keep the count."""

    def __init__(self, errors=(), limit=None):
        super().__init__()
        self.limit = MAX_ERRORS if limit is None else limit
        self.more = 0
        self.extend(errors)

    def append(self, error):
        if len(self) < self.limit:
            super().append(error)
        else:
            self.more += 1

    def extend(self, errors):
        for error in errors:
            self.append(error)
        self.more += getattr(errors, "more", 0)

    @property
    def total(self) -> int:
        return len(self) + self.more

    @property
    def more_line(self) -> str:
        """The line that closes a shortened report, the same in the admin and the commands."""
        if not self.more:
            return ""
        return ngettext(
            "…and %(n)s more error, not listed.", "…and %(n)s more errors, not listed.", self.more
        ) % {"n": number_format(self.more, force_grouping=True)}

    @classmethod
    def merged(cls, *groups) -> "ErrorList":
        """Several lists as one in line order (the file's own errors first). Each group holds its own
        first errors, so the first of all of them are among these."""
        merged = cls()
        for error in sorted(itertools.chain(*groups), key=lambda e: e.line or 0):
            merged.append(error)
        merged.more += sum(getattr(group, "more", 0) for group in groups)
        return merged


def _too_many_rows() -> RowError:
    limit = number_format(MAX_ROWS, force_grouping=True)
    return RowError(
        None,
        _("The list is too long: the limit is %(n)s lines, and nothing after line %(n)s was read.")
        % {"n": limit},
    )


def format_for(name: str, given: str | None = None) -> str:
    """The format named by the officer, else the file's extension, else text (pasted or stdin)."""
    if given:
        return given
    lower = (name or "").lower()
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    return "text"


def read_rows(content, fmt: str) -> tuple[list[RawRow], list[RowError]]:
    """The rows of a published list, in any of the three formats."""
    if fmt == "text":
        text, error = _decode(content)
        return ([], ErrorList([error])) if error else _read_text(text)
    records, errors = read_records(content, fmt, INCLUSIONS)
    fields = ("status", "beneficiary", "budget", "inclusion_date")
    return [RawRow(line, *(values.get(f) for f in fields)) for line, values in records], errors


def read_records(content, fmt: str, spec: TableSpec) -> tuple[list[tuple[int, dict]], list[RowError]]:
    """(line, field → cell) for every non-blank row of a CSV or XLSX file after its header."""
    if fmt == "xlsx":
        if isinstance(content, str):
            return [], ErrorList(
                [RowError(None, _("Unreadable file: an XLSX file cannot be pasted as text."))]
            )
        return _read_xlsx(content, spec)
    text, error = _decode(content)
    if error:
        return [], ErrorList([error])
    return _read_csv(text, spec)


def _decode(content) -> tuple[str, RowError | None]:
    if isinstance(content, str):
        return content.lstrip("\ufeff"), None
    try:
        return content.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    # Greek Excel saves "CSV" in Windows-1253.
    try:
        return content.decode("cp1253"), None
    except UnicodeDecodeError:
        return "", RowError(None, _("Unreadable file: it is neither UTF-8 nor Windows-1253 text."))


# --- text ---------------------------------------------------------------------------------------


def _read_text(text: str):
    rows, errors = [], ErrorList()
    for number, line in enumerate(text.splitlines(), start=1):
        if number > MAX_ROWS:
            return [], ErrorList([_too_many_rows()])
        if not line.strip():
            continue
        # Only a line starting with «Κ» can be a header: folding every line would cost more.
        if line.lstrip()[:1] in "ΚκK":
            folded = fold(line)
            if folded == TEXT_HEADER:
                continue
            if folded.startswith("ΚΑΤΑΣΤΑΣΗ"):
                errors.append(RowError(number, _("unknown header «%(h)s»") % {"h": quoted(line.strip())}))
                continue
        if "\t" in line:
            # Pasted from a spreadsheet: the cells are tab-separated.
            cells = [c.strip() for c in line.split("\t")]
            cells += [""] * (4 - len(cells))
            if len(cells) > 4 and any(cells[4:]):
                errors.append(RowError(number, _("%(n)d cells where 4 are expected") % {"n": len(cells)}))
                continue
            rows.append(RawRow(number, *cells[:4]))
            continue
        row, error = _split_text_line(number, line)
        if error:
            errors.append(error)
        else:
            rows.append(row)
    return rows, errors


def _split_text_line(number: int, line: str):
    """«<status> <beneficiary> <budget> [<date> | – ]», split from both ends."""
    tokens = line.replace("€", " ").split()
    if len(tokens) >= 2 and status_key(f"{tokens[0]} {tokens[1]}") in STATUSES:
        status, rest = " ".join(tokens[:2]), tokens[2:]
    elif status_key(tokens[0]) in STATUSES:
        status, rest = tokens[0], tokens[1:]
    else:
        folded = [fold(t) for t in tokens]
        end = folded.index("ΔΗΜΟΣ") if "ΔΗΜΟΣ" in folded[1:] else 1
        return None, RowError(
            number,
            _("unknown status «%(s)s»: a published list has «Ενταγμένη» or «Προς ένταξη»")
            % {"s": quoted(" ".join(tokens[: max(end, 1)]))},
        )
    date = None
    if rest and (rest[-1] in MISSING_DATE or looks_like_date(rest[-1])):
        date = rest.pop()
    if not rest or not looks_like_amount(rest[-1]):
        found = rest[-1] if rest else ""
        return None, RowError(
            number,
            _("the line must end with the budget and the date (found «%(t)s»)") % {"t": quoted(found)},
        )
    budget = rest.pop()
    if not rest:
        return None, RowError(number, _("the beneficiary is missing"))
    return RawRow(number, status, " ".join(rest), budget, date), None


# --- CSV and XLSX -------------------------------------------------------------------------------


def _header(number: int, cells, spec: TableSpec) -> tuple[dict, list[RowError]]:
    """Field → column index, from a header row. A wrong header makes the file unusable whatever else it
    holds, so only its first few wrong columns are named."""
    mapping, errors = {}, ErrorList(limit=MAX_HEADER_ERRORS)
    for index, cell in enumerate(cells):
        name = fold(str(cell)) if cell is not None else ""
        if not name:
            continue
        field = spec.columns.get(name)
        if field is None:
            errors.append(
                RowError(
                    number,
                    _("unknown column «%(c)s»; expected %(e)s") % {"c": quoted(cell), "e": spec.expected},
                )
            )
        elif field in mapping:
            errors.append(RowError(number, _("column «%(c)s» appears twice") % {"c": quoted(cell)}))
        else:
            mapping[field] = index
    missing = [f for f in spec.required if f not in mapping]
    if missing and not errors:
        errors.append(RowError(number, _("unknown header: the columns %(c)s are missing") % {"c": missing}))
    return mapping, errors


def _blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _blank_row(cells) -> bool:
    if len(cells) > MAX_COLUMNS:
        # Counted in C: a padded row is mostly None.
        return cells.count(None) == len(cells)
    return all(_blank(c) for c in cells)


def _extra_cells(cells, width: int) -> bool:
    """Whether a row has something past the header's columns."""
    tail = cells[width:]
    if not tail or tail.count(None) == len(tail):
        return False
    return len(tail) > MAX_COLUMNS or any(not _blank(c) for c in tail)


def _cell(cells, index):
    if index is None or index >= len(cells):
        return None
    value = cells[index]
    return value.strip() if isinstance(value, str) else value


def _table(numbered_rows, spec: TableSpec) -> tuple[list[tuple[int, dict]], list[RowError]]:
    """(line, field → cell) from rows of cells with a header first, as from csv or openpyxl."""
    rows, errors, mapping = [], ErrorList(), None
    for number, cells in numbered_rows:
        if number > MAX_ROWS:
            return [], ErrorList([_too_many_rows()])
        if _blank_row(cells):
            continue
        if mapping is None:
            mapping, header_errors = _header(number, cells, spec)
            width = max(mapping.values(), default=-1) + 1
            if header_errors:
                return [], header_errors
            continue
        if _extra_cells(cells, width):
            errors.append(
                RowError(number, _("%(n)d cells where the header has %(w)d") % {"n": len(cells), "w": width})
            )
            continue

        rows.append((number, {f: _cell(cells, i) for f, i in mapping.items()}))
    if mapping is None:
        errors.append(RowError(None, _("The file is empty.")))
    return rows, errors


def _read_csv(text: str, spec: TableSpec):
    first = next((line for line in text.splitlines() if line.strip()), "")
    # The header has no amounts in it, so its separator is unambiguous.
    delimiter = ";" if ";" in first else "\t" if "\t" in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def numbered():
        start = 1
        try:
            for cells in reader:
                yield start, cells
                start = reader.line_num + 1
        except csv.Error as exc:
            raise _CsvError(RowError(reader.line_num, _("unreadable CSV: %(e)s") % {"e": exc})) from None

    try:
        return _table(numbered(), spec)
    except _CsvError as exc:
        return [], ErrorList([exc.error])


class _CsvError(Exception):
    def __init__(self, error):
        self.error = error


def _unreadable_xlsx(exc) -> tuple[list, ErrorList]:
    return [], ErrorList([RowError(None, _("Unreadable file: not an XLSX workbook (%(e)s).") % {"e": exc})])


def _unpacked_size_error(content: bytes) -> RowError | None:
    """Refuse a workbook whose parts declare more than a list can need, before openpyxl unpacks them.
    zipfile stops reading a part at its declared size, so a part cannot lie its way past this."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        parts = archive.infolist()
    total = sum(part.file_size for part in parts)
    largest = max(parts, key=lambda part: part.file_size, default=None)
    if total > MAX_UNPACKED_BYTES:
        return RowError(
            None,
            _("The file is too large when unpacked: %(x)s, the limit is %(y)s.")
            % {"x": filesizeformat(total), "y": filesizeformat(MAX_UNPACKED_BYTES)},
        )
    if largest is not None and largest.file_size > MAX_PART_BYTES:
        return RowError(
            None,
            _("The file is too large when unpacked: its part %(p)s is %(x)s, the limit is %(y)s.")
            % {
                "p": quoted(largest.filename),
                "x": filesizeformat(largest.file_size),
                "y": filesizeformat(MAX_PART_BYTES),
            },
        )
    return None


def _read_xlsx(content: bytes, spec: TableSpec):
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    # A part that does not unpack as it declares surfaces only while rows are read (a CRC or XML
    # error), so reading is guarded like opening.
    unreadable = (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        InvalidFileException,
        KeyError,
        IndexError,
        OSError,
        ValueError,
    )
    try:
        too_large = _unpacked_size_error(content)
    except unreadable as exc:
        return _unreadable_xlsx(exc)
    if too_large:
        return [], ErrorList([too_large])
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (*unreadable, SyntaxError) as exc:
        return _unreadable_xlsx(exc)
    try:
        sheet = workbook.worksheets[0]
        # In read-only mode openpyxl stops at the range the file's <dimension> claims, and some writers
        # leave it stale: rows past it would be lost without a word. Read until the sheet really ends.
        sheet.reset_dimensions()
        return _table(enumerate(sheet.iter_rows(values_only=True), start=1), spec)
    except (*unreadable, SyntaxError) as exc:
        return _unreadable_xlsx(exc)
    finally:
        workbook.close()
