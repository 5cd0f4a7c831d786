"""Building an export's file and recording it: one code path for the download built inside the
request (grants.reports.views) and the file a worker builds (grants.exports), so the two never
disagree on rows, escaping or audit."""

from urllib.parse import urlencode

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grants import audit
from grants.formatting import EXCEL_EL, EXCEL_EL_DELIMITER

from . import formats
from .definitions import stream_published_text

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def rows_written(report, fmt, count) -> int:
    return min(count, report.pdf_rows) if fmt == "pdf" else count


def body(report, fmt, fs, qs, count, shown_filters, *, dialect=None):
    """The file's content: an iterator of bytes (CSV, TXT, JSON: streamed as built), an open binary
    file positioned at 0 (XLSX) or bytes (PDF). `dialect` EXCEL_EL: the CSV Greek Excel reads."""
    if fmt == "csv" and dialect == EXCEL_EL:
        convs = formats.excel_el_converters(report.columns, escape=not report.escapes_in_sql)
        rows = report.rows(qs, for_csv=True)
        return formats.stream_csv(report.columns, rows, converters=convs, delimiter=EXCEL_EL_DELIMITER)
    if fmt == "csv":
        stream = report.csv_stream(qs) if hasattr(report, "csv_stream") else None
        if stream is None:
            convs = formats.csv_converters(report.columns, escape=not report.escapes_in_sql)
            stream = formats.stream_csv(report.columns, report.rows(qs, for_csv=True), converters=convs)
        return stream
    if fmt == "txt":
        return stream_published_text(report.rows(qs))
    if fmt == "json":
        return formats.stream_json(report.columns, report.rows(qs))
    if fmt == "xlsx":
        handle, _n = formats.write_xlsx(report.columns, report.rows(qs), title=str(report.title))
        return handle
    notes = [f"{label}: {value}" for label, value in report.summary(qs, fs)]
    if count > report.pdf_rows:
        notes.append(
            _("The PDF shows the first %(n)s of %(m)s rows; CSV and XLSX hold them all.")
            % {"n": report.pdf_rows, "m": count}
        )
    return formats.write_pdf(
        report.columns,
        report.rows(qs, limit=report.pdf_rows),
        title=str(report.title),
        filters=shown_filters,
        totals=report.display_totals(report.totals(qs)),
        notes=notes,
    )


def record(*, actor, channel, report, fmt, filters: dict, rows: int, job=None):
    """The `report.export` event every export writes, whoever built it."""
    after = {"report": report.name, "format": fmt, "filters": filters, "rows": rows}
    if job is not None:
        after["job"] = job.pk
    return audit.record(
        action="report.export",
        channel=channel,
        actor=actor,
        obj=job,
        after=after,
        note=audit.note_text(
            gettext_lazy("%(file)s: %(n)d rows; filters: %(filters)s"),
            {
                "file": f"{report.name}.{fmt}",
                "n": rows,
                "filters": urlencode(filters, doseq=True) or "-",
            },
        ),
    )
