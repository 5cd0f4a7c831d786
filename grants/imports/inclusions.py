"""Importing a published list of inclusion decisions, all or nothing.

read (grants.imports.readers) → check every row and match every beneficiary (grants.imports.values,
grants.imports.matching) → if any row is wrong, report every error and write nothing → otherwise record
the decisions through the workflow (grants.workflow_batch.record_decisions, channel "import") in one
transaction. A dry run does the same and rolls back, so its report (warnings included) is exactly what
the real import would do.
"""

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from grants import audit
from grants.formatting import format_eur
from grants.imports.matching import MunicipalityIndex
from grants.imports.readers import ErrorList, RowError, read_rows
from grants.imports.values import parse_amount, parse_date, parse_status
from grants.models import ApplicationStatus, Channel, Programme
from grants.workflow_batch import Decision, DecisionBatchError, record_decisions

CHUNK = 5000


class ProgrammeChoiceError(ValueError):
    pass


def resolve_programme(code: str | None) -> Programme:
    """The named programme, or the only one when no code is given."""
    if code:
        try:
            return Programme.objects.get(code=code)
        except Programme.DoesNotExist:
            raise ProgrammeChoiceError(_("No programme with code «%(c)s».") % {"c": code}) from None
    programmes = list(Programme.objects.all()[:2])
    if len(programmes) == 1:
        return programmes[0]
    if not programmes:
        raise ProgrammeChoiceError(_("There is no programme yet: load the reference data first."))
    codes = ", ".join(Programme.objects.values_list("code", flat=True))
    raise ProgrammeChoiceError(_("Several programmes exist (%(c)s): name one.") % {"c": codes})


# What applying a row did to the municipality's application: the code is counted and compared, the
# label is what the admin's report and the command print.
OUTCOME_LABELS = {
    "created": pgettext_lazy("import outcome", "created"),
    "updated": pgettext_lazy("import outcome", "updated"),
    "unchanged": pgettext_lazy("import outcome", "unchanged"),
}


@dataclass
class ImportedRow:
    line: int
    beneficiary: str
    municipality: object
    status: str
    budget: Decimal
    inclusion_date: object
    outcome: str = ""  # a key of OUTCOME_LABELS, once applied

    @property
    def status_label(self):
        return ApplicationStatus(self.status).label

    @property
    def outcome_label(self) -> str:
        return str(OUTCOME_LABELS[self.outcome]) if self.outcome else ""

    @property
    def budget_display(self) -> str:
        return format_eur(self.budget)


@dataclass
class InclusionReport:
    source: str = ""
    dry_run: bool = False
    rows: list = field(default_factory=list)
    errors: ErrorList = field(default_factory=ErrorList)
    warnings: list = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def total_budget(self) -> Decimal:
        return sum((row.budget for row in self.rows), Decimal("0.00"))

    @property
    def changed_anything(self) -> bool:
        return bool(self.created or self.updated)

    def summary(self) -> list[str]:
        if not self.ok:
            n = self.errors.total
            return [
                ngettext("%(n)d error: nothing was imported.", "%(n)d errors: nothing was imported.", n)
                % {"n": n}
            ]
        n = len(self.rows)
        counts = {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}
        outcomes = ", ".join(f"{OUTCOME_LABELS[code]}: {count}" for code, count in counts.items())
        lines = [
            ngettext("%(n)d row read, total budget %(t)s.", "%(n)d rows read, total budget %(t)s.", n)
            % {"n": n, "t": format_eur(self.total_budget)},
            _("%(outcomes)s; warnings: %(w)d.") % {"outcomes": capfirst(outcomes), "w": len(self.warnings)},
        ]
        if not self.changed_anything:
            lines.append(_("Nothing changed: the database already matches this list."))
        if self.dry_run:
            lines.append(_("Dry run: nothing was saved."))
        return lines


def check_rows(raw_rows, index: MunicipalityIndex):
    """Every row's values and beneficiary; returns (rows, errors)."""
    rows, errors, lines_of = [], ErrorList(), {}
    for raw in raw_rows:
        problems = []
        values = {}
        for name, parse, value in (
            ("status", parse_status, raw.status),
            ("budget", parse_amount, raw.budget),
            ("inclusion_date", parse_date, raw.inclusion_date),
        ):
            try:
                values[name] = parse(value)
            except ValueError as exc:
                problems.append(str(exc))
        municipality, reason = index.match(raw.beneficiary)
        if municipality is None:
            problems.append(reason)
        elif municipality.pk in lines_of:
            problems.append(
                _("%(m)s appears twice (also on line %(n)d)")
                % {"m": municipality.name, "n": lines_of[municipality.pk]}
            )
        else:
            lines_of[municipality.pk] = raw.line
        if (
            values.get("status") == ApplicationStatus.INCLUDED
            and "inclusion_date" in values
            and values["inclusion_date"] is None
        ):
            problems.append(_("an included operation needs its inclusion date"))
        if problems:
            errors.extend(RowError(raw.line, problem) for problem in problems)
            continue
        rows.append(ImportedRow(raw.line, str(raw.beneficiary), municipality, **values))
    return rows, errors


class _RolledBack(Exception):
    pass


@contextmanager
def _collector_paused():
    """A list of 100,000 lines keeps about a million small objects alive, none of them in a cycle;
    Python's cyclic collector would rescan them all again and again (a fifth of the import's time,
    measured with bench/bench_import.py). Reference counting still frees everything as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def import_inclusions(
    content,
    *,
    fmt: str,
    programme,
    actor=None,
    dry_run=False,
    source="",
    progress=None,
    channel=Channel.IMPORT,
) -> InclusionReport:
    """Check `content` (bytes or text) and, if every row is right, record it. `progress(n, total)` is
    told how many rows were applied after each chunk. `channel` is the audit trail's: the admin's
    import is `import`, the operator's command `command`."""
    with _collector_paused():
        return _import(content, fmt, programme, actor, dry_run, source, progress, channel)


def _import(content, fmt, programme, actor, dry_run, source, progress, channel) -> InclusionReport:
    report = InclusionReport(source=source, dry_run=dry_run)
    raw_rows, read_errors = read_rows(content, fmt)
    rows, row_errors = check_rows(raw_rows, MunicipalityIndex.load())
    report.errors = ErrorList.merged(read_errors, row_errors)
    if not report.errors and not rows:
        report.errors.append(RowError(None, _("The list has no rows.")))
    report.rows = rows
    if report.errors:
        return report
    # Translated once, in the site's language (the notes'): gettext per line cost as much as recording
    # the line.
    where = source or audit.note_text(gettext_lazy("the imported list"))
    line_note = audit.note_text(gettext_lazy("Published list %(s)s, line %(n)d."))
    try:
        # The events of every chunk are written after the last chunk has locked its rows (see deferred_rows).
        with transaction.atomic(), audit.deferred_rows():
            for start in range(0, len(rows), CHUNK):
                chunk = rows[start : start + CHUNK]
                decisions = [
                    Decision(
                        municipality=row.municipality,
                        fields={
                            "status": row.status,
                            "budget": row.budget,
                            "inclusion_date": row.inclusion_date,
                        },
                        note=line_note % {"s": where, "n": row.line},
                    )
                    for row in chunk
                ]
                try:
                    outcomes = record_decisions(programme, decisions, actor=actor, channel=channel)
                except DecisionBatchError as exc:
                    report.errors = ErrorList(RowError(chunk[i].line, reason) for i, reason in exc.errors)
                    raise _RolledBack from None
                for row, outcome in zip(chunk, outcomes, strict=True):
                    row.outcome = (
                        "created" if outcome.created else "updated" if outcome.changed else "unchanged"
                    )
                    # Lazy, like the workflow's warnings: read in the reader's language, and in the
                    # site's where a prepared import's digest is computed (grants.imports.prepared).
                    report.warnings.extend(
                        RowError(row.line, format_lazy("{}: {}", row.municipality.name, w))
                        for w in outcome.warnings
                    )
                if progress:
                    progress(len(chunk), len(rows))
            if dry_run:
                transaction.set_rollback(True)
    except _RolledBack:
        return report
    report.created = sum(row.outcome == "created" for row in rows)
    report.updated = sum(row.outcome == "updated" for row in rows)
    report.unchanged = sum(row.outcome == "unchanged" for row in rows)
    return report
