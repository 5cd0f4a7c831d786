"""Four eyes on imported decisions: a list is prepared by one person and confirmed on exactly the
preview that was prepared.

Preparing checks the list (a dry run of grants.imports.inclusions) and stores it whole, with its
SHA-256 and the digest of its preview (PreparedImport). A list whose rows include an application
(create it or change it to «Ενταγμένη»), change an included one or take one out of «Ενταγμένη» needs
an approver other than the preparer; a list that only records «Προς ένταξη» (or changes nothing) may
be confirmed by its preparer. Confirming runs the import for real and, in the same transaction,
compares its digest with the prepared one: if the registry or the applications changed meanwhile,
everything is rolled back and the prepared import is superseded (the officer prepares it again).
Prepare, confirm, refusal, cancel and supersede are audited (`import.<verb>`).
"""

import hashlib
import json
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from grants import audit, roles
from grants.formatting import EMPTY, date_gr, eur
from grants.imports.inclusions import InclusionReport, import_inclusions
from grants.models import Application, Channel, PreparedImport, Programme
from grants.models import ApplicationStatus as S
from grants.models import PreparedImportState as P

# The outcomes that write something; only they can need an approver.
WRITING = ("created", "updated")


class ImportRefused(Exception):
    """The prepared import was not confirmed or cancelled; nothing of the list was written.
    `audited`: the refusal was recorded (`import.refuse`); a second click on a decided import is not."""

    def __init__(self, message, *, audited=True):
        super().__init__(message)
        # Lazy: said in the user's language, and kept in the audit note in the site's.
        self.message, self.audited = message, audited

    def __str__(self):
        return str(self.message)


class _Stale(ImportRefused):
    """The prepared preview can never be confirmed any more: it is superseded."""


@dataclass
class Preview:
    """A dry run's (or the real run's) report, with each row's status before the import, which rows
    need an approver, and the digest of everything the import writes or warns about."""

    report: InclusionReport
    previous: dict = field(default_factory=dict)  # municipality id → status before, absent if none
    # municipality id → the application's version before: any change in between (a budget, a date, a
    # selection) makes the confirmed import differ from the prepared one, not only a change of status.
    versions: dict = field(default_factory=dict)
    # municipality id → (status, budget, inclusion date) before: what an updated row's changes are read
    # against. Shown only, not digested (the version already covers any change of them).
    before: dict = field(default_factory=dict)
    digest: str = ""

    def changes(self, row) -> list[str]:
        """An updated row's «before → after» for its status, budget and date, as officers read them."""
        if row.outcome != "updated" or row.municipality.pk not in self.before:
            return []
        status, budget, when = self.before[row.municipality.pk]
        pairs = (
            (S(status).label if status in S.values else EMPTY, row.status_label),
            (eur(budget), eur(row.budget)),
            (date_gr(when), date_gr(row.inclusion_date)),
        )
        return [f"{old} → {new}" for old, new in pairs if str(old) != str(new)]

    def previous_status(self, row):
        return self.previous.get(row.municipality.pk)

    def needs_approval(self, row) -> bool:
        """The row includes, changes an included operation or takes one out of «Ενταγμένη»."""
        return row.outcome in WRITING and S.INCLUDED in (row.status, self.previous_status(row))

    @property
    def approval_rows(self) -> list:
        return [row for row in self.report.rows if self.needs_approval(row)]

    @property
    def needs_an_approver(self) -> bool:
        return any(self.needs_approval(row) for row in self.report.rows)

    @property
    def rows(self):
        """(row, status before as a label, needs an approver, changes) for the template."""
        for row in self.report.rows:
            before = self.previous_status(row)
            label = S(before).label if before in S.values else "–"
            yield row, label, self.needs_approval(row), self.changes(row)

    def summary(self) -> dict:
        report = self.report
        return {
            "rows": len(report.rows),
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "warnings": len(report.warnings),
            "needing_approval": len(self.approval_rows),
            "total_budget": f"{report.total_budget:.2f}",
        }


def content_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _digest(programme, content_sha: str, preview: Preview) -> str:
    """SHA-256 over a canonical JSON of what the import writes: the warnings are said in the site's
    language, so a preview prepared in English and confirmed in Greek digest alike."""
    rows = [
        [
            row.line,
            row.municipality.pk,
            preview.previous_status(row),
            preview.versions.get(row.municipality.pk),
            row.status,
            f"{row.budget:.2f}",
            row.inclusion_date.isoformat() if row.inclusion_date else None,
            row.outcome,
        ]
        for row in preview.report.rows
    ]
    with audit.site_language():
        warnings = [[w.line, str(w.message)] for w in preview.report.warnings]
    payload = {"programme": programme.pk, "content": content_sha, "rows": rows, "warnings": warnings}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _run(content: bytes, *, fmt, programme, source, actor, dry_run) -> Preview:
    """The import (or its dry run) with each row's previous status, read under the programme's lock
    so that nothing changes between that reading and the import."""
    with transaction.atomic():
        programme = Programme.objects.select_for_update().get(pk=programme.pk)
        current = Application.objects.filter(programme=programme).values_list(
            "municipality_id", "status", "version", "budget", "inclusion_date"
        )
        previous = {row[0]: row[1] for row in current}
        versions = {row[0]: row[2] for row in current}
        before = {row[0]: (row[1], row[3], row[4]) for row in current}
        report = import_inclusions(
            content, fmt=fmt, programme=programme, actor=actor, dry_run=dry_run, source=source
        )
    preview = Preview(report=report, previous=previous, versions=versions, before=before)
    if report.ok:
        preview.digest = _digest(programme, content_hash(content), preview)
    return preview


def _decide(prepared, state, actor, when=None) -> tuple[dict, dict]:
    """Close a pending import (confirmed, cancelled or superseded) by `actor`; returns the audit's
    before and after."""
    before = {"state": prepared.state}
    prepared.state, prepared.decided_by, prepared.decided_at = state, actor, when or timezone.now()
    prepared.save(update_fields=["state", "decided_by", "decided_at"])
    return before, {"state": prepared.state}


def _event(prepared, verb, *, actor, before=None, after=None, note="", channel=Channel.ADMIN):
    audit.record(
        action=f"import.{verb}",
        channel=channel,
        actor=actor,
        obj=prepared,
        before=before,
        after=after,
        note=note,
    )


def prepared_import_create(*, content, fmt, programme, source, actor, channel=Channel.ADMIN):
    """Check the list and, if every row is right, store it pending confirmation.
    Returns (PreparedImport or None when the list has errors, Preview)."""
    raw = content if isinstance(content, bytes) else content.encode()
    preview = _run(raw, fmt=fmt, programme=programme, source=source, actor=actor, dry_run=True)
    if not preview.report.ok:
        return None, preview
    sha = content_hash(raw)
    now = timezone.now()
    with transaction.atomic():
        # The same list prepared again replaces the earlier preparation: one pending import per list.
        for older in PreparedImport.objects.select_for_update().filter(
            programme=programme, content_hash=sha, state=P.PENDING
        ):
            before, after = _decide(older, P.SUPERSEDED, actor, now)
            note = audit.note_text(gettext_lazy("The same list was prepared again."))
            _event(
                older,
                "supersede",
                actor=actor,
                before=before,
                after=after,
                note=note,
                channel=channel,
            )
        prepared = PreparedImport.objects.create(
            programme=programme,
            source=source[:255],
            format=fmt,
            content=raw,
            content_hash=sha,
            preview_hash=preview.digest,
            summary=preview.summary(),
            needs_approval=preview.needs_an_approver,
            prepared_by=actor if getattr(actor, "is_authenticated", False) else None,
            prepared_at=now,
        )
        _event(
            prepared,
            "prepare",
            actor=actor,
            after={
                "programme": programme.pk,
                "source": prepared.source,
                "content_hash": sha,
                "preview_hash": prepared.preview_hash,
                "needs_approval": prepared.needs_approval,
                **prepared.summary,
            },
            channel=channel,
        )
    return prepared, preview


def prepared_import_recheck(*, prepared) -> Preview:
    """The prepared list checked again against the data as they are now (a dry run, nothing written):
    what the approver sees before confirming. `preview.digest == prepared.preview_hash` when nothing
    changed."""
    return _run(
        bytes(prepared.content),
        fmt=prepared.format,
        programme=prepared.programme,
        source=prepared.source,
        actor=None,
        dry_run=True,
    )


def _decided(prepared, message):
    return audit.lazy_text(message, {"s": P(prepared.state).label})


def confirm_refusal(prepared, user):
    """Why `user` may not confirm `prepared` (lazy text), or "" when they may: the admin shows it."""
    if prepared.state != P.PENDING:
        return _decided(
            prepared, gettext_lazy("This import is «%(s)s»: nothing more can be written from it.")
        )
    if prepared.needs_approval:
        if not roles.is_approver(user):
            return gettext_lazy(
                "This list includes, changes or de-includes operations: an approver other than the one "
                "who prepared it must confirm it."
            )
        if prepared.prepared_by_id == user.pk:
            return gettext_lazy("You prepared this list: another approver must confirm it (four eyes).")
        return ""
    if prepared.prepared_by_id != user.pk and not roles.is_approver(user):
        return gettext_lazy("Only the person who prepared this list or an approver may confirm it.")
    return ""


def cancel_refusal(prepared, user):
    if prepared.state != P.PENDING:
        return _decided(prepared, gettext_lazy("This import is «%(s)s»: it can no longer be cancelled."))
    if prepared.prepared_by_id != user.pk and not roles.is_approver(user):
        return gettext_lazy("Only the person who prepared this list or an approver may cancel it.")
    return ""


def prepared_import_confirm(*, prepared, actor, preview_hash, channel=Channel.ADMIN) -> Preview:
    """Write the prepared list if `actor` may confirm it and it still gives the preview that was
    prepared (`preview_hash`, the digest the confirming page showed). Raises ImportRefused otherwise,
    having written nothing of the list."""
    try:
        with transaction.atomic():
            locked = PreparedImport.objects.select_for_update().get(pk=prepared.pk)
            if locked.state != P.PENDING:
                raise ImportRefused(confirm_refusal(locked, actor), audited=False)
            reason = confirm_refusal(locked, actor)
            if reason:
                raise ImportRefused(reason)
            content = bytes(locked.content)
            if content_hash(content) != locked.content_hash:
                raise _Stale(
                    gettext_lazy("The stored list no longer matches its SHA-256: prepare the list again.")
                )
            if preview_hash != locked.preview_hash:
                raise ImportRefused(
                    gettext_lazy("This confirmation is not for the preview that was prepared.")
                )
            preview = _run(
                content,
                fmt=locked.format,
                programme=locked.programme,
                source=locked.source,
                actor=actor,
                dry_run=False,
            )
            if not preview.report.ok or preview.digest != locked.preview_hash:
                raise _Stale(
                    gettext_lazy(
                        "The data changed since this list was prepared: its preview is no longer what "
                        "would be written. Nothing was imported; prepare the list again."
                    )
                )
            before, after = _decide(locked, P.CONFIRMED, actor)
            _event(
                locked,
                "confirm",
                actor=actor,
                before=before,
                after={**after, "prepared_by": locked.prepared_by_id, **preview.summary()},
                channel=channel,
            )
            return preview
    except ImportRefused as refused:
        if refused.audited:
            _record_refusal(prepared, actor, refused, channel)
        raise


def _record_refusal(prepared, actor, refused, channel):
    with transaction.atomic():
        locked = PreparedImport.objects.select_for_update().get(pk=prepared.pk)
        before = after = None
        if isinstance(refused, _Stale) and locked.state == P.PENDING:
            before, after = _decide(locked, P.SUPERSEDED, actor)
        _event(
            locked, "refuse", actor=actor, before=before, after=after, note=_note(refused), channel=channel
        )


def _note(refused) -> str:
    with audit.site_language():
        return str(refused.message)


def prepared_import_cancel(*, prepared, actor, channel=Channel.ADMIN) -> PreparedImport:
    with transaction.atomic():
        locked = PreparedImport.objects.select_for_update().get(pk=prepared.pk)
        reason = cancel_refusal(locked, actor)
        if reason:
            raise ImportRefused(reason, audited=False)
        before, after = _decide(locked, P.CANCELLED, actor)
        _event(
            locked,
            "cancel",
            actor=actor,
            before=before,
            after=after,
            channel=channel,
        )
    return locked
