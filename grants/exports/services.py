"""Export jobs: created by the report pages and the API when an export is too big for a request,
built by a Celery worker (grants.tasks.build_export) with the same code as the synchronous download
and as the owner (the owner's scope, not the worker's), kept in private storage for a week.

Every step is audited: the build like any export (`report.export`), each download
(`report.export_download`) and the expiry (`report.export_expire`, a system action)."""

import hashlib
import logging
import tempfile

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grants import audit, inbox, roles
from grants.models import Channel, ExportJob, ExportState, NotificationKind
from grants.models.export import EXPORT_KEEP

logger = logging.getLogger(__name__)

# Column headers, choice labels and the PDF's words follow the language of whoever asked.
CHUNK = 1 << 16


def private_storage():
    """Rooted outside MEDIA and STATIC (settings.STORAGES["private"]): no URL of the web server
    reaches these files; only the permission-checked downloads read them."""
    return storages["private"]


def goes_to_worker(count) -> bool:
    """Whether an export of `count()` rows is built by the worker: beyond EXPORT_JOB_ROWS, or always
    when it is 0 (then nothing is counted)."""
    limit = settings.EXPORT_JOB_ROWS
    return limit <= 0 or count() > limit


def may_export(user, report) -> bool:
    """Staff export every report; a municipality only those that hold nothing but its own rows."""
    if roles.is_staff_role(user):
        return True
    return roles.municipality_of(user) is not None and report.for_municipalities


def filters_query(filters: dict) -> QueryDict:
    """{name: value or [values]} as the query string a report's FilterSet reads."""
    query = QueryDict(mutable=True)
    for name, value in filters.items():
        values = value if isinstance(value, list | tuple) else [value]
        query.setlist(name, ["" if v is None else str(v) for v in values])
    return query


# A report page's query string holds at most DATA_UPLOAD_MAX_NUMBER_FIELDS values (Django refuses more);
# a JSON body is not held to it, and 200,000 values took a web worker 40 s to check and build.
MAX_FILTER_VALUE_LENGTH = 1000


def _check_size(filters: dict) -> None:
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    values = [
        v for value in filters.values() for v in (value if isinstance(value, list | tuple) else [value])
    ]
    if limit is not None and len(values) > limit:
        raise ValidationError(
            {"filters": _("At most %(n)d filter values, as on a report's page.") % {"n": limit}}
        )
    if any(len(str(v)) > MAX_FILTER_VALUE_LENGTH for v in values):
        raise ValidationError(
            {
                "filters": _("A filter value may be at most %(n)d characters long.")
                % {"n": MAX_FILTER_VALUE_LENGTH}
            }
        )


def _report(name):
    from grants.reports.definitions import REPORTS

    return REPORTS[name]()


def export_job_validate(*, owner, report: str, fmt: str, filters) -> dict:
    """The filters as stored ({name: [values]}) if `owner` may export `report` as `fmt` with them.
    Raises ValidationError naming the field (report, format, filters) or PermissionDenied."""
    from grants.reports.definitions import REPORTS

    if report not in REPORTS:
        raise ValidationError(
            {
                "report": _("Unknown report «%(r)s»; one of: %(all)s.")
                % {"r": report, "all": ", ".join(REPORTS)}
            }
        )
    spec = _report(report)
    if not may_export(owner, spec):
        raise PermissionDenied(
            _("A municipality account may export only: %(allowed)s.")
            % {"allowed": ", ".join(n for n in REPORTS if REPORTS[n].for_municipalities)}
        )
    if fmt not in spec.formats:
        raise ValidationError(
            {
                "format": _("Unknown format «%(f)s»; one of: %(all)s.")
                % {"f": fmt, "all": ", ".join(spec.formats)}
            }
        )
    if not isinstance(filters, dict):
        raise ValidationError({"filters": _("An object of filter names and values.")})
    _check_size(filters)
    fs = spec.filterset(owner, filters_query(filters))
    unknown = sorted(set(filters) - set(fs.filters))
    if unknown:
        raise ValidationError(
            {
                "filters": _("Unknown filter «%(f)s»; this report filters by: %(all)s.")
                % {"f": ", ".join(unknown), "all": ", ".join(fs.filters)}
            }
        )
    if not fs.is_valid():
        raise ValidationError(
            {"filters": [f"{name}: {' '.join(errors)}" for name, errors in fs.errors.items()]}
        )
    query = filters_query(filters)
    return {name: query.getlist(name) for name in query if any(v != "" for v in query.getlist(name))}


def export_job_create(*, owner, report: str, fmt: str, filters: dict, channel: str) -> ExportJob:
    """A pending job for `owner`, handed to the worker once the transaction commits."""
    from grants import tasks

    stored = export_job_validate(owner=owner, report=report, fmt=fmt, filters=filters)
    with transaction.atomic():
        # A second click (or a reloaded page) while the same file is being prepared asks for nothing new.
        same = jobs_of(owner).filter(
            report=report,
            format=fmt,
            filters=stored,
            state__in=[ExportState.PENDING, ExportState.RUNNING],
        )
        if (existing := same.first()) is not None:
            return existing
        job = ExportJob.objects.create(
            owner=owner,
            report=report,
            format=fmt,
            filters=stored,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            channel=channel,
        )
        # Passed by id after the commit: the worker must find the row, and reads it fresh.
        transaction.on_commit(lambda: tasks.build_export.delay(job.pk), robust=True)
    return job


def _claim(job_id) -> ExportJob | None:
    """Mark the job running, or None when there is nothing to do (done, failed, or gone): a task
    delivered twice builds the file once."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state in (ExportState.DONE, ExportState.FAILED):
            return None
        job.state = ExportState.RUNNING
        job.started_at = timezone.now()
        job.save(update_fields=["state", "started_at"])
    return job


def _write(content, out) -> None:
    if isinstance(content, bytes):
        out.write(content)
    elif hasattr(content, "read"):
        with content:
            while block := content.read(CHUNK):
                out.write(block)
    else:
        for block in content:
            out.write(block)


def export_job_build(*, job_id: int) -> ExportJob | None:
    """Build the job's file with the report code of the synchronous download, as its owner, store
    it privately and record the export. Transient database errors propagate (the task retries);
    anything else marks the job failed with a message for its owner."""
    from grants.reports import exporting, filter_labels

    job = _claim(job_id)
    if job is None:
        return None
    owner = job.owner
    with translation.override(job.language):
        report = _report(job.report)
        if not may_export(owner, report):
            return export_job_fail(job_id=job.pk, error=gettext_lazy("You may no longer export this report."))
        fs = report.filterset(owner, filters_query(job.filters))
        if not fs.is_valid():
            return export_job_fail(job_id=job.pk, error=gettext_lazy("The filters are no longer valid."))
        qs = fs.qs
        count = report.count(qs)
        dialect = (job.filters.get("dialect") or [None])[0]  # CSV for Greek Excel, as asked
        content = exporting.body(
            report, job.format, fs, qs, count, filter_labels.applied(fs), dialect=dialect
        )
        digest, size = hashlib.sha256(), 0
        with tempfile.TemporaryFile() as tmp:
            _write(content, tmp)
            tmp.seek(0)
            while block := tmp.read(CHUNK):
                digest.update(block)
                size += len(block)
            tmp.seek(0)
            storage = private_storage()
            name = storage.save(f"exports/{owner.pk}/{job.pk}/{job.filename}", File(tmp))
    try:
        with transaction.atomic():
            now = timezone.now()
            job = ExportJob.objects.select_for_update().get(pk=job.pk)
            if job.file:
                storage.delete(job.file)  # an earlier delivery's file, replaced by this one
            job.file, job.size, job.sha256 = name, size, digest.hexdigest()
            job.row_count = exporting.rows_written(report, job.format, count)
            job.state, job.error = ExportState.DONE, ""
            job.finished_at, job.expires_at = now, now + EXPORT_KEEP
            job.save()
            exporting.record(
                actor=owner,
                channel=job.channel,
                report=report,
                fmt=job.format,
                filters=job.filters,
                rows=job.row_count,
                job=job,
            )
            # In the same transaction: the owner's inbox says the file is ready (e-mailed after commit).
            inbox.notify(
                [owner],
                NotificationKind.EXPORT_READY,
                r=_titles(report),
                d=timezone.localdate(job.expires_at).isoformat(),
            )
    except BaseException:
        storage.delete(name)  # never a stored file that no job points at
        raise
    return job


def _titles(report) -> dict:
    """The report's title in every language, for a notification read in its reader's."""
    titles = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            titles[code] = str(report.title)
    return titles


def export_job_fail(*, job_id: int, error) -> ExportJob | None:
    """Mark the job failed with `error` (a lazy message), said in the language it was asked in."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state == ExportState.DONE:
            return job
        with translation.override(job.language):
            job.error = str(error)
        job.state, job.finished_at = ExportState.FAILED, timezone.now()
        job.save(update_fields=["state", "error", "finished_at"])
    return job


def jobs_of(user):
    """A user's own jobs, and nobody else's: staff included, an export is its owner's alone."""
    return ExportJob.objects.filter(owner=user, expires_at__gt=timezone.now())


def downloadable(user, job_id) -> ExportJob:
    """The owner's finished, unexpired job; anything else is ExportJob.DoesNotExist (a 404)."""
    return jobs_of(user).get(pk=job_id, state=ExportState.DONE)


def export_job_download(*, job: ExportJob, actor, channel: str):
    """Open the job's file for its owner and record the download."""
    handle = private_storage().open(job.file, "rb")
    audit.record(
        action="report.export_download",
        channel=channel,
        actor=actor,
        obj=job,
        after={"report": job.report, "format": job.format, "job": job.pk, "sha256": job.sha256},
        note=audit.note_text(
            gettext_lazy("%(file)s downloaded: %(n)d rows"), {"file": job.filename, "n": job.row_count or 0}
        ),
    )
    return handle


def export_jobs_expire(*, now=None) -> int:
    """Delete jobs past their expiry with their files, each recorded as a system action."""
    now = now or timezone.now()
    storage = private_storage()
    expired = 0
    for job in ExportJob.objects.filter(expires_at__lte=now).select_related("owner").iterator():
        with transaction.atomic():
            audit.record(
                action="report.export_expire",
                channel=Channel.CODE,
                actor=None,
                obj=job,
                before={"report": job.report, "format": job.format, "owner": job.owner.get_username()},
                note=audit.note_text(
                    gettext_lazy("%(file)s of %(owner)s deleted after %(days)d days"),
                    {"file": job.filename, "owner": job.owner.get_username(), "days": EXPORT_KEEP.days},
                ),
            )
            job.delete()
            if job.file:
                # After the row: a file whose deletion fails is an orphan, never a job without its file.
                transaction.on_commit(lambda name=job.file: storage.delete(name))
        expired += 1
    return expired
