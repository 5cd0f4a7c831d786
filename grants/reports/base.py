"""What a report is: a name, a title, one FilterSet, the scoped queryset it starts from, its columns,
and how rows and totals come out of the filtered queryset. Every format and the HTML page read the
same rows, so a download never disagrees with the screen."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections, transaction
from django.db.models import Case, CharField, F, Sum, Value, When
from django.db.models.functions import Concat, Left
from django.db.models.lookups import In

from grants.pagination import EstimatedCountPaginator

from . import formats
from .formats import FORMULA_PREFIXES, MONEY, TEXT


@dataclass(frozen=True)
class Column:
    key: str  # stable, used as the JSON key and in tests
    label: Any  # lazy translated text, or a published Greek heading
    kind: str = TEXT
    # An ORM path, or a callable returning an expression (built per request, so labels follow the
    # active language). Only queryset reports use it.
    field: str | Callable | None = None
    total: bool = False  # summed over the filtered queryset by the database
    width: int = 14  # XLSX column width; the PDF splits the page in the same proportions
    csv: Callable | None = None  # a CSV converter overriding the kind's default
    safe: bool = False  # text we write ourselves (choice labels): no formula escaping needed


def csv_safe(expr):
    """The formula-injection rule in SQL, so the CSV path writes database rows without touching
    each cell in Python (formats.escape_cell is the Python twin)."""
    expr = F(expr) if isinstance(expr, str) else expr
    return Case(
        When(In(Left(expr, 1), list(FORMULA_PREFIXES)), then=Concat(Value("'"), expr)),
        default=expr,
        output_field=CharField(),
    )


def choice_label(field: str, choices) -> Case:
    """A choice's label computed by the database, in the active language."""
    return Case(
        *[When(**{field: value}, then=Value(str(label))) for value, label in choices],
        default=F(field),
        output_field=CharField(),
    )


class Report:
    name = ""
    title = ""
    description = ""
    filterset_class = None
    columns: list[Column] = []
    formats = ("csv", "xlsx", "pdf", "json")
    # Rows a PDF holds; beyond them it says so and points to CSV/XLSX. reportlab lays out every cell
    # in memory before the first byte is sent (measured: 5,000 audit events took 20 s and 300 MB).
    pdf_rows = 5000
    # SQL-side CSV escaping (queryset reports) or Python-side (reports built in Python).
    escapes_in_sql = False
    # Whether a municipality account may export it (as an export job): only reports whose rows,
    # scoped to the municipality, are its own data and nothing else (grants.exports).
    for_municipalities = False

    def scoped(self, user):
        raise NotImplementedError

    def filterset(self, user, params, base=None):
        qs = self.scoped(user) if base is None else base
        return self.filterset_class(params, queryset=qs)

    def rows(self, qs, *, for_csv=False, limit=None):
        raise NotImplementedError

    def count(self, qs) -> int:
        raise NotImplementedError

    def page_count(self, qs) -> tuple[int, bool]:
        return self.count(qs), False

    # The keys of the columns the HTML page shows, when a report has more than a 1366-pixel screen
    # holds: the downloads keep every column.
    page_keys: tuple[str, ...] = ()

    def page_columns(self) -> list[Column]:
        """The columns of the HTML page: the downloads' own, unless a report reads better on screen
        with fewer or friendlier ones (the audit trail's before → after in words, not JSON)."""
        if not self.page_keys:
            return self.columns
        by_key = {c.key: c for c in self.columns}
        return [by_key[k] for k in self.page_keys]

    def page_rows(self, qs, *, limit):
        """The HTML page's rows, in page_columns()' order."""
        rows = self.rows(qs, limit=limit)
        if not self.page_keys:
            return rows
        index = {c.key: i for i, c in enumerate(self.columns)}
        picked = [index[k] for k in self.page_keys]
        return [tuple(row[i] for i in picked) for row in rows]

    def totals(self, qs) -> dict:
        return {}

    def summary(self, qs, fs) -> list[tuple[str, str]]:
        """Extra lines above the table (e.g. the programme's commitment)."""
        return []

    def display_totals(self, totals: dict) -> dict:
        kinds = {c.key: c.kind for c in self.columns}
        shown = {k: formats.display_value(kinds.get(k, MONEY), v) for k, v in totals.items() if k in kinds}
        first = self.columns[0].key
        shown.setdefault(first, "")
        if not shown[first]:
            from django.utils.translation import gettext as _

            shown[first] = _("Total")
        return shown


def _streamed(values, chunk_size):
    """The rows of a whole download, read in chunks with PostgreSQL's JIT compiler off: a query with
    a subquery a row (the open-data titles) is estimated costly enough to be compiled first, which
    took seconds for a read that then runs in about one (formats.stream_csv_copy does the same)."""
    if connections[values.db].vendor != "postgresql":
        yield from values.iterator(chunk_size=chunk_size)
        return
    with transaction.atomic(using=values.db):
        with connections[values.db].cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        yield from values.iterator(chunk_size=chunk_size)


class QuerysetReport(Report):
    """Rows are a values_list of the filtered queryset, iterated with a server-side cursor: the CSV
    of a million rows never holds more than one chunk."""

    escapes_in_sql = True
    ordering: tuple = ()
    chunk_size = 2000

    def expressions(self, *, for_csv):
        out = []
        for col in self.columns:
            expr = col.field() if callable(col.field) else col.field
            if for_csv and col.kind == TEXT and not col.safe:
                expr = csv_safe(expr)
            out.append(expr)
        return out

    def rows(self, qs, *, for_csv=False, limit=None):
        values = qs.order_by(*self.ordering).values_list(*self.expressions(for_csv=for_csv))
        if limit is not None:
            return list(values[:limit])
        return _streamed(values, self.chunk_size)

    def csv_stream(self, qs):
        """The CSV by PostgreSQL's COPY when every cell is formatted by the database (no Python
        converter), else None and the caller streams rows through csv.writer."""
        from django.db import connections

        if connections[qs.db].vendor != "postgresql" or type(self).rows is not QuerysetReport.rows:
            return None
        if any(formats.csv_converters(self.columns, escape=False)):
            return None
        values = qs.order_by(*self.ordering).values_list(*self.expressions(for_csv=True))
        return formats.stream_csv_copy(self.columns, values)

    def count(self, qs) -> int:
        return qs.count()

    def totals(self, qs) -> dict:
        sums = {c.key: Sum(c.field) for c in self.columns if c.total}
        if not sums:  # nothing to add up (the audit trail): no pass over its millions of rows
            return {}
        return qs.aggregate(**sums)

    def page_count(self, qs) -> tuple[int, bool]:
        """(rows, estimated) for the HTML page, which shows the first rows and their number: exact up
        to grants.pagination's limit, PostgreSQL's estimate beyond (downloads count exactly)."""
        paginator = EstimatedCountPaginator(qs, 1)
        return paginator.count, paginator.estimated


class ListReport(Report):
    """Aggregates computed into a short list (one row per project, municipality or group)."""

    def build(self, qs) -> tuple[list[tuple], dict]:
        """(rows, totals) from the filtered queryset, in a number of queries that does not grow with
        the rows."""
        raise NotImplementedError

    def _cached(self, qs):
        key = id(qs)
        cache = getattr(self, "_cache", None)
        if cache is None or cache[0] != key:
            self._cache = (key, qs, self.build(qs))
        return self._cache[2]

    def rows(self, qs, *, for_csv=False, limit=None):
        rows = self._cached(qs)[0]
        return rows[:limit] if limit is not None else rows

    def count(self, qs) -> int:
        return len(self._cached(qs)[0])

    def totals(self, qs) -> dict:
        return self._cached(qs)[1]
