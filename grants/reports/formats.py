"""Writers for report downloads: CSV (streamed), XLSX, PDF and JSON.

Every writer takes the report's columns and an iterable of row tuples of plain Python values
(str, Decimal, int, date, datetime, None), so one row source serves every format.

Formula injection: a spreadsheet treats a cell that starts with = + - @ tab or CR as a formula. In
CSV such text cells get a leading apostrophe. Only *text* columns are escaped: amounts, counts and
dates are written by us from typed values, never from user input, so a negative amount (there are
none here: every amount has a CHECK ≥ 0) would stay a number. In XLSX the same cells are stored as
typed text cells, which Excel never evaluates, so the value stays unchanged.
"""

import csv
import datetime
import io
import json
import re
import tempfile
from decimal import Decimal
from itertools import islice
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _

from grants.formatting import (
    excel_el,
    format_date,
    format_datetime,
    format_eur,
    format_int,
    format_percent,
)

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
# PostgreSQL's COPY ends rows with LF and has no option to change it; csv.writer's default is CRLF.
# Every CSV uses LF, whichever path wrote it, so a file never mixes the two (Excel reads either).
CSV_LINE_END = "\n"
# Amount and date formats of the Greek-locale Excel user: the separators follow the reader's locale.
XLSX_MONEY = '#,##0.00 "€"'
XLSX_DATE = "dd/mm/yyyy"
XLSX_DATETIME = "dd/mm/yyyy hh:mm"
XLSX_PERCENT = "0.00%"
# XlsxWriter sets column widths in pixels of Calibri 11's digit, the default font's.
XLSX_DIGIT_PIXELS = 7
XLSX_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
FONT_DIR = Path(__file__).resolve().parent / "fonts"

TEXT, MONEY, INT, DATE, DATETIME, PERCENT = "text", "money", "int", "date", "datetime", "percent"


def escape_cell(value):
    """The CSV formula-injection rule, for text built in Python (the SQL twin is
    definitions.csv_safe)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _local(value):
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value) if timezone.is_aware(value) else value
    return value


def _csv_datetime(value):
    return _local(value).strftime("%Y-%m-%d %H:%M:%S") if value is not None else None


def csv_converters(columns, *, escape: bool):
    """Per-column converters for the CSV writer, or None where csv.writer's own str() is right
    (Decimal → 1234.56, date → ISO, None → empty). Returning all None keeps the fast path."""
    convs = []
    for col in columns:
        if col.csv is not None:
            convs.append(col.csv)
        elif col.kind == DATETIME:
            convs.append(_csv_datetime)
        elif col.kind == TEXT and escape:
            convs.append(escape_cell)
        else:
            convs.append(None)
    return convs


def excel_el_converters(columns, *, escape: bool):
    """Per-column converters for the CSV Greek Excel reads (grants.formatting.excel_el): a column's
    own converter (the published list's amounts) wins, text is escaped as in the plain CSV, and every
    other cell (amounts, counts, dates, times) is written the Greek way."""

    def escaped(value):
        return excel_el(escape_cell(value))

    convs = []
    for col in columns:
        if col.csv is not None:
            convs.append(col.csv)
        elif col.kind == TEXT:
            convs.append(escaped if escape else excel_el)
        else:
            convs.append(excel_el)
    return convs


def stream_csv(columns, rows, *, converters=None, chunk_rows=2000, delimiter=","):
    """Yield the CSV as UTF-8 bytes (BOM first, so Excel reads Greek) in chunks of `chunk_rows`
    rows: memory holds one chunk, whatever the row count."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=CSV_LINE_END, delimiter=delimiter)
    writer.writerow([str(c.label) for c in columns])
    yield (BOM + buffer.getvalue()).encode()
    buffer.seek(0)
    buffer.truncate()
    active = [(i, f) for i, f in enumerate(converters or []) if f is not None]
    iterator = iter(rows)
    while True:
        chunk = list(islice(iterator, chunk_rows))
        if not chunk:
            break
        if active:
            converted = []
            for row in chunk:
                row = list(row)
                for i, f in active:
                    row[i] = f(row[i])
                converted.append(row)
            chunk = converted
        writer.writerows(chunk)
        text = buffer.getvalue()
        if "\r" in text:
            text = _rows_quoting_cr(chunk, delimiter)
        yield text.encode()
        buffer.seek(0)
        buffer.truncate()


def _rows_quoting_cr(rows, delimiter):
    """The rows as csv.writer writes them, but a cell holding a carriage return quoted. Python's
    writer quotes only the characters of its line end (LF here), and an unquoted CR ends the record
    for Excel, LibreOffice and Python's reader: a reason «x», CR, «=HYPERLINK(…)» became a row of its own
    whose first cell is a formula. COPY quotes it, as a CRLF line end makes csv.writer do; each
    row's CRLF is then written back as LF. Rare: only a chunk holding a CR comes here."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", delimiter=delimiter)
    out = []
    for row in rows:
        writer.writerow(row)
        out.append(buffer.getvalue()[:-2] + CSV_LINE_END)
        buffer.seek(0)
        buffer.truncate()
    return "".join(out)


def stream_csv_copy(columns, values_queryset, *, chunk_bytes=1 << 16):
    """The same CSV produced by PostgreSQL's COPY over the report's own values query (text cells
    already escaped by SQL): the database formats the rows, Python only forwards blocks of bytes.
    Used for reports whose every cell the database can format; rows stream, memory holds one block."""
    from django.db import connections, transaction

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=CSV_LINE_END).writerow([str(c.label) for c in columns])
    yield (BOM + buffer.getvalue()).encode()
    sql, params = values_queryset.query.sql_with_params()
    connection = connections[values_queryset.db]
    with transaction.atomic(using=values_queryset.db), connection.cursor() as cursor:
        # A query with a subquery a row (the open-data titles) is estimated costly enough for
        # PostgreSQL to compile it first (JIT): seconds of compiling for a stream that then runs in
        # about one. For this transaction only.
        cursor.execute("SET LOCAL jit = off")
        block = bytearray()
        # Parameters are bound by psycopg on the client: COPY takes no server-side parameters.
        with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            for data in copy:
                block += data
                if len(block) >= chunk_bytes:
                    yield bytes(block)
                    block.clear()
        if block:
            yield bytes(block)


# Decimal places of a column's figures in JSON, as in the CSV: cents for money, 0.2703 for a share.
JSON_DECIMALS = {MONEY: 2, PERCENT: 4}


def _json_value(kind, value):
    if isinstance(value, Decimal):
        places = JSON_DECIMALS.get(kind)
        return f"{value:.{places}f}" if places is not None else str(value)
    if isinstance(value, datetime.datetime):
        return _local(value).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def stream_json(columns, rows):
    """A JSON array of objects keyed by the columns' stable keys; amounts as strings so that no
    reader turns them into floats."""
    keys = [c.key for c in columns]
    kinds = [c.kind for c in columns]
    yield b"["
    first = True
    for row in rows:
        obj = {k: _json_value(kind, v) for k, kind, v in zip(keys, kinds, row, strict=True)}
        yield (("" if first else ",") + "\n" + json.dumps(obj, ensure_ascii=False)).encode()
        first = False
    yield b"\n]\n"


def write_xlsx(columns, rows, *, title: str):
    """An XLSX by XlsxWriter in constant-memory mode (each row goes to a temporary file once the
    next one starts, so memory does not grow with the rows): real numbers and dates with
    Greek-readable formats, text cells that are never evaluated, a frozen header and an autofilter.
    Returns (open binary file positioned at 0, row count)."""
    import xlsxwriter

    out = tempfile.TemporaryFile()  # noqa: SIM115 (handed to FileResponse, which closes it)
    wb = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            "in_memory": False,
            # Nothing a user typed may become a formula, a link or a number: every text cell is
            # written by write_string, and these keep it so if a generic write() ever creeps in.
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    # Excel refuses these characters in sheet names, more than 31 characters, and an apostrophe
    # at either end.
    ws = wb.add_worksheet(re.sub(r"[\\/?*\[\]:]", " ", title)[:31].strip(" '") or "report")
    ws.freeze_panes(1, 0)
    for i, col in enumerate(columns):
        # The width stored as the column gives it, in characters; set_column would add
        # XlsxWriter's cell padding to it and every column would come out wider than before.
        ws.set_column_pixels(i, i, col.width * XLSX_DIGIT_PIXELS)
    bold, plain = wb.add_format({"bold": True}), wb.add_format()
    for i, col in enumerate(columns):
        ws.write_string(0, i, str(col.label), bold)
    number_formats = {
        kind: wb.add_format({"num_format": fmt})
        for kind, fmt in (
            (MONEY, XLSX_MONEY),
            (DATE, XLSX_DATE),
            (DATETIME, XLSX_DATETIME),
            (PERCENT, XLSX_PERCENT),
        )
    }
    datetime_format = number_formats[DATETIME]
    date_format = number_formats[DATE]
    cells = [(i, number_formats.get(c.kind)) for i, c in enumerate(columns)]
    write_string, write_number, write_datetime = ws.write_string, ws.write_number, ws.write_datetime
    illegal = XLSX_ILLEGAL_RE.sub
    # Excel has no time zones: datetimes are written in the Greek local time the screens show.
    local = timezone.get_current_timezone()
    count = 0
    # The inner loop runs once per cell (a few million for the whole audit trail): helpers are
    # inlined and looked up once.
    for count, row in enumerate(rows, start=1):
        for (i, fmt), value in zip(cells, row, strict=True):
            if value is None or value == "":
                continue  # an empty cell rather than an empty text
            if isinstance(value, str):
                # Line ends as LF, as an XML reader normalises raw ones, and the control characters
                # XML 1.0 cannot hold (a vertical tab pasted from a word processor into a note) as
                # a space: XlsxWriter would write both as _x000D_-style escapes, which Excel turns
                # back into the control characters themselves.
                if "\r" in value:
                    value = value.replace("\r\n", "\n").replace("\r", "\n")
                value = illegal(" ", value)
                if value.startswith("<r>") and value.endswith("</r>"):
                    # XlsxWriter's constant-memory mode copies such a string into the sheet's XML
                    # unescaped, taking it for its own rich-text runs: a note could close its cell
                    # and add a formula. As two runs of the default font it is escaped like any text.
                    ws.write_rich_string(count, i, value[:3], plain, value[3:])
                else:
                    # Typed text, whatever the column: Excel never evaluates it, so «=…» stays data.
                    write_string(count, i, value)
            elif isinstance(value, datetime.datetime):
                if value.tzinfo is not None:
                    value = value.astimezone(local).replace(tzinfo=None)
                write_datetime(count, i, value, fmt or datetime_format)
            elif isinstance(value, datetime.date):
                write_datetime(count, i, value, fmt or date_format)
            elif isinstance(value, bool):
                ws.write_boolean(count, i, value)
            else:
                write_number(count, i, value, fmt)
    ws.autofilter(0, 0, count, len(columns) - 1)
    wb.close()
    out.seek(0)
    return out, count


_fonts_registered = False


def _register_fonts():
    global _fonts_registered
    if _fonts_registered:
        return
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont("DejaVuSans", str(FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    addMapping("DejaVuSans", 0, 0, "DejaVuSans")
    addMapping("DejaVuSans", 1, 0, "DejaVuSans-Bold")
    _fonts_registered = True


def display_value(kind, value) -> str:
    """How a value reads on screen and on paper: Greek money and dd/mm/yyyy dates."""
    if value is None or value == "":
        return ""
    if kind == MONEY:
        return format_eur(value)
    if kind == PERCENT:
        return format_percent(value)
    if kind == DATETIME:
        return format_datetime(value)
    if kind == DATE:
        return format_date(value)
    if kind == INT:
        return format_int(value)
    return str(value)


# PDF layout. Cell padding is narrower than reportlab's 6 pt so that wide money reports fit.
PDF_FONT_SIZES = (7, 6.5, 6, 5.5, 5)
PDF_PADDING = 3
# A single word of free text (a JSON blob, a URL) may take at most this share of the page; beyond
# it the word is split rather than squeezing every other column.
PDF_WORD_SHARE = 0.2
# A cell may be at most this share of a page's frame high: reportlab cannot split a row across
# pages, so a taller cell (an audit event's JSON) would make the whole export fail.
PDF_CELL_SHARE = 0.45
ELLIPSIS = "…"


def _pdf_min_widths(columns, texts, header_words, size, usable):
    """The narrowest width (at font `size`) of each column such that amounts, dates and codes
    never break inside: a typed value is kept whole, free text may break between words."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    def width(text, font="DejaVuSans"):
        return stringWidth(text, font, size)

    mins = []
    for i, col in enumerate(columns):
        widest = max((width(w, "DejaVuSans-Bold") for w in header_words[i]), default=0)
        cells = (row[i] for row in texts if row[i])
        if col.kind == TEXT:
            longest = max((width(w) for text in cells for w in text.split()), default=0)
            widest = max(widest, min(longest, usable * PDF_WORD_SHARE))
        else:
            widest = max(widest, max((width(text) for text in cells), default=0))
        # +1: reportlab's own line-fitting rounds, a value exactly as wide as the cell may wrap.
        mins.append(widest + 2 * PDF_PADDING + 1)
    return mins


def _pdf_layout(columns, texts, header_words, usable):
    """(font size, column widths): the largest font at which every column gets its minimum width,
    the rest of the page shared in the columns' proportions."""
    for size in PDF_FONT_SIZES:
        mins = _pdf_min_widths(columns, texts, header_words, size, usable)
        if sum(mins) <= usable:
            break
    else:
        # Even the smallest font does not fit: shrink every column alike (values may then wrap).
        scale = usable / sum(mins)
        return size, [m * scale for m in mins]
    spare = usable - sum(mins)
    weight = sum(c.width for c in columns)
    return size, [m + spare * c.width / weight for m, c in zip(mins, columns, strict=True)]


def _fitting_paragraph(text, style, width, max_height):
    """A Paragraph of `text`, or of as much of it as fits in `max_height` followed by «…».
    Returns (paragraph, whether it was cut)."""
    from django.utils.html import escape
    from reportlab.platypus import Paragraph

    para = Paragraph(escape(text), style)
    # Most cells are short: measure only those that could be taller than allowed. Bound: no glyph
    # is wider than 1.5 em, and two consecutive wrapped lines together hold more than one line's
    # width, so a text of width W takes at most 2·W/width + 1 lines.
    lines = 2 * len(text) * style.fontSize * 1.5 / width + 1
    if lines * style.leading <= max_height:
        return para, False
    if para.wrap(width, max_height)[1] <= max_height:
        return para, False
    low, high = 0, len(text)  # the longest prefix that fits lies in [low, high)
    while high - low > 1:
        mid = (low + high) // 2
        if Paragraph(escape(text[:mid] + ELLIPSIS), style).wrap(width, max_height)[1] <= max_height:
            low = mid
        else:
            high = mid
    return Paragraph(escape(text[:low].rstrip() + ELLIPSIS), style), True


def write_pdf(columns, rows, *, title: str, filters: list[tuple[str, str]], totals=None, notes=()):
    """An A4 landscape PDF with embedded DejaVu fonts (Greek survives copy and pdftotext): title,
    filters, generation time, the table with a repeated header, totals, and «page X of Y».
    Amounts, dates and codes never break inside; a cell too tall for a page is cut with «…» and
    a note says so (the CSV, XLSX and JSON hold it whole)."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

    _register_fonts()
    page = landscape(A4)
    margins = {"leftMargin": 10 * mm, "rightMargin": 10 * mm, "topMargin": 12 * mm, "bottomMargin": 14 * mm}
    usable = page[0] - margins["leftMargin"] - margins["rightMargin"]
    frame_height = page[1] - margins["topMargin"] - margins["bottomMargin"]

    kinds = [c.kind for c in columns]
    texts = [[display_value(k, v) for k, v in zip(kinds, row, strict=True)] for row in rows]
    total_texts = [str(totals.get(c.key, "")) for c in columns] if totals else None
    header_words = [str(c.label).split() for c in columns]
    if total_texts:
        header_words = [[*words, total] for words, total in zip(header_words, total_texts, strict=True)]
    size, widths = _pdf_layout(columns, texts, header_words, usable)

    base = ParagraphStyle("base", fontName="DejaVuSans", fontSize=size, leading=size * 1.2)
    head = ParagraphStyle("head", parent=base, fontName="DejaVuSans-Bold")
    # A table's ALIGN moves flowables, not the text inside a Paragraph: numbers need their own style.
    number = ParagraphStyle("number", parent=base, alignment=TA_RIGHT)
    number_head = ParagraphStyle("number_head", parent=head, alignment=TA_RIGHT)
    h1 = ParagraphStyle("h1", parent=base, fontName="DejaVuSans-Bold", fontSize=14, leading=17)
    meta = ParagraphStyle("meta", parent=base, fontSize=8, leading=10)

    def para(text, style=base):
        from django.utils.html import escape

        return Paragraph(escape(text), style)

    max_height = frame_height * PDF_CELL_SHARE
    numeric = [k in (MONEY, INT, PERCENT) for k in kinds]
    data = [[para(str(c.label), number_head if n else head) for c, n in zip(columns, numeric, strict=True)]]
    cut = False
    for row in texts:
        cells = []
        for text, width, n in zip(row, widths, numeric, strict=True):
            cell, was_cut = _fitting_paragraph(
                text, number if n else base, width - 2 * PDF_PADDING, max_height
            )
            cells.append(cell)
            cut = cut or was_cut
        data.append(cells)
    if total_texts:
        data.append([para(t, number_head if n else head) for t, n in zip(total_texts, numeric, strict=True)])

    story = [para(title, h1), Spacer(1, 3 * mm)]
    generated = timezone.localtime().strftime("%d/%m/%Y %H:%M")
    story.append(para(_("Generated: %(t)s") % {"t": generated}, meta))
    if filters:
        shown = "; ".join(f"{k}: {v}" for k, v in filters)
        story.append(para(_("Filters: %(f)s") % {"f": shown}, meta))
    else:
        story.append(para(_("Filters: none"), meta))
    for note in notes:
        story.append(para(note, meta))
    if cut:
        story.append(
            para(
                _("Cells too long for a page are cut short with «…»; CSV, XLSX and JSON hold them whole."),
                meta,
            )
        )
    story.append(Spacer(1, 3 * mm))

    table = LongTable(data, colWidths=widths, repeatRows=1)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), PDF_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), PDF_PADDING),
    ]
    table.setStyle(TableStyle(style))
    story.append(table)

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=page, title=title, **margins)
    doc.build(story, canvasmaker=_numbered_canvas())
    return out.getvalue()


def _numbered_canvas():
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    class NumberedCanvas(canvas.Canvas):
        """Defers each page until the end so the footer can say «page X of Y»."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):  # noqa: N802 (reportlab's API)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont("DejaVuSans", 7)
                text = _("page %(x)d of %(y)d") % {"x": self._pageNumber, "y": total}
                self.drawRightString(self._pagesize[0] - 10 * mm, 7 * mm, text)
                super().showPage()
            super().save()

    return NumberedCanvas
