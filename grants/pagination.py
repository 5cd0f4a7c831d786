"""Counting pages of very large lists. A paginator needs the number of rows, and COUNT(*) over
millions of rows (the audit trail, every selection) costs more than the page itself: this one counts
exactly up to a limit and, beyond it, takes PostgreSQL's own estimate — the table's row count kept by
ANALYZE (pg_class.reltuples) when the list is unfiltered, the planner's estimate of the filtered query
otherwise. Lists of up to EXACT_LIMIT rows, and every list on SQLite, are counted exactly."""

import json

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

EXACT_LIMIT = 10_000


def estimated_count(qs: QuerySet) -> int:
    """PostgreSQL's estimate of the rows of `qs` (no query is run, only planned)."""
    connection = connections[qs.db]
    with connection.cursor() as cursor:
        if not qs.query.where:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [qs.model._meta.db_table]
            )
            row = cursor.fetchone()
            if row and row[0] >= 0:  # -1: never analysed
                return row[0]
        sql, params = qs.order_by().values("pk").query.sql_with_params()
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        return int(plan[0]["Plan"]["Plan Rows"])


class EstimatedCountPaginator(Paginator):
    """Exact up to EXACT_LIMIT rows, PostgreSQL's estimate beyond (never below EXACT_LIMIT + 1, so a
    long list never looks short). `estimated` says which; templates may write «about»."""

    estimated = False

    @cached_property
    def count(self) -> int:
        qs = self.object_list
        if not isinstance(qs, QuerySet) or connections[qs.db].vendor != "postgresql":
            return super().count
        # Counting at most EXACT_LIMIT + 1 rows costs a few milliseconds whatever the table's size.
        capped = qs.order_by()[: EXACT_LIMIT + 1].count()
        if capped <= EXACT_LIMIT:
            return capped
        self.estimated = True
        return max(EXACT_LIMIT + 1, estimated_count(qs))


def by_keys(queryset: QuerySet, start: int, stop: int) -> QuerySet:
    """`queryset[start:stop]` in one query that finds the slice's keys first, in the queryset's order,
    and only then reads those rows and their joins. Sorting and skipping whole rows (every column of
    the application, its municipality, its programme) for a search that matches tens of thousands
    cost more than the page: the keys alone are ordered from indexes (the municipalities' name index
    carries the search's columns), often without reading a table at all."""
    return queryset.filter(pk__in=queryset.values("pk")[start:stop])


class KeysFirstPaginator(Paginator):
    """Paginator.page with the page read by its keys first (by_keys). A DISTINCT list could not select
    its keys alone in its order (nor could an aggregated one, which no list using this is), so it is
    sliced as it is."""

    def page(self, number):
        qs = self.object_list
        if not isinstance(qs, QuerySet) or qs.query.distinct:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(by_keys(qs, bottom, top), number, self)
