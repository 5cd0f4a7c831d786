"""Documents: what a programme asks for and what a municipality attaches, the one place their rules
live. The portal, the API, the admin and the workflow's submission guard call these functions.

- A file is checked before anything is stored: its size against the type's limit, then its format
  from its content (grants.file_checks), never from its name.
- Files go to the "private" storage (settings.STORAGES), under names of our making, never the
  sender's; they are read back only through `document_open`, which the views call after the scoped
  lookup (grants.selectors), and every read is audited.
- A municipality adds and deletes its documents while its application is a draft or returned (the
  selections' rule, projects.services.EDITABLE_STATUSES); each change bumps the application's version,
  so a submission confirms the content its clerk reviewed.
"""

import hashlib
import os
import unicodedata
import uuid

from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from grants import audit, file_checks, roles
from grants.formatting import format_size
from grants.models import (
    DEFAULT_MAX_SIZE,
    Application,
    Channel,
    Document,
    DocumentScope,
    DocumentType,
    FileFormat,
)
from projects.services import EDITABLE_STATUSES

DOCUMENT_AUDITED = ["document_type", "project", "filename", "format", "size", "sha256"]
DOCUMENT_TYPE_AUDITED = [
    "programme",
    "code",
    "title_el",
    "title_en",
    "required",
    "scope",
    "formats",
    "max_size",
    "order",
    "official",
]


class DocumentError(ValidationError):
    """A refused document: a dict names the field (the file, its kind, its project); a plain message
    is about the application's state (another municipality's, not editable now)."""


def private_storage():
    """Rooted outside MEDIA and STATIC: no URL of the web server reaches these files."""
    return storages["private"]


# --- checking a file ----------------------------------------------------------------------------


def format_names(formats) -> str:
    labels = dict(FileFormat.choices)
    return ", ".join(labels.get(f, f) for f in formats)


def clean_filename(name: str) -> str:
    """The sender's file name as shown and offered back on download: no folders, no control
    characters, at most 255 characters (the extension kept)."""
    name = os.path.basename(str(name or "").replace("\\", "/"))
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip() or "file"
    if len(name) > 255:
        stem, ext = os.path.splitext(name)
        name = stem[: 255 - len(ext)] + ext
    return name


def check_file(upload, *, formats, max_size, field="file") -> tuple[str, str, int]:
    """The upload's format, SHA-256 and size, or DocumentError naming `field` and the reason. Size
    first (nothing more is read from a file that is too big), then the content's format."""
    size = upload.size or 0
    if size == 0:
        raise DocumentError({field: _("The file «%(f)s» is empty.") % {"f": clean_filename(upload.name)}})
    if size > max_size:
        message = _("The file «%(f)s» is %(size)s; at most %(max)s is accepted.") % {
            "f": clean_filename(upload.name),
            "size": format_size(size),
            "max": format_size(max_size),
        }
        raise DocumentError({field: ValidationError(message, code="too_large")})
    fmt = file_checks.detect(upload)
    if fmt not in formats:
        allowed = format_names(formats)
        if fmt:
            message = _("The file «%(f)s» is %(found)s; accepted here: %(allowed)s.") % {
                "f": clean_filename(upload.name),
                "found": format_names([fmt]),
                "allowed": allowed,
            }
        else:
            message = _(
                "The content of «%(f)s» is none of the accepted formats (%(allowed)s), whatever its name."
            ) % {"f": clean_filename(upload.name), "allowed": allowed}
        raise DocumentError({field: ValidationError(message, code="unsupported")})
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return fmt, digest.hexdigest(), size


def store_file(upload, folder: str, fmt: str) -> str:
    """Save the checked upload in the private storage under a name of ours; returns that name."""
    upload.seek(0)
    return private_storage().save(f"{folder}/{uuid.uuid4().hex}{file_checks.EXTENSIONS[fmt]}", upload)


def discard_file(name: str):
    """Delete a stored file once the transaction that stopped using it commits (never before: a
    rolled-back deletion keeps its file)."""
    if name:
        transaction.on_commit(lambda: private_storage().delete(name), robust=True)


def document_type_save(*, document_type: DocumentType, actor=None, channel=Channel.CODE) -> DocumentType:
    """Create or change a programme's document type (officers, in the admin), audited with
    before/after values. Formats are kept in the order of FileFormat, without repeats."""
    known = FileFormat.values
    unknown = [f for f in document_type.formats or [] if f not in known]
    if unknown or not document_type.formats:
        raise DocumentError({"formats": _("Choose one or more of: %(f)s.") % {"f": format_names(known)}})
    document_type.formats = [f for f in known if f in document_type.formats]
    return audit.save_with_audit(
        document_type, DOCUMENT_TYPE_AUDITED, action="document_type", actor=actor, channel=channel
    )


# --- reading ------------------------------------------------------------------------------------


def document_types_of(programme) -> list[DocumentType]:
    return list(DocumentType.objects.filter(programme=programme))


def missing_documents(application: Application) -> list[str]:
    """The required documents the application still lacks, as people name them: the type's title,
    and for a type asked for each selected project, the project's code («Τεκμηρίωση έργου (T01)»)."""
    return missing_documents_of([application])[application.pk]


def missing_documents_of(applications) -> dict[int, list[str]]:
    """missing_documents for many applications at once (the portal's to-dos): three queries, whatever
    the number of applications, types, projects and documents. The one rule `submit` and the to-dos
    both read."""
    from projects.models import Selection

    applications = list(applications)
    missing: dict[int, list[str]] = {a.pk: [] for a in applications}
    if not applications:
        return missing
    required = list(
        DocumentType.objects.filter(programme_id__in={a.programme_id for a in applications}, required=True)
    )
    if not required:
        return missing
    ids = [a.pk for a in applications]
    have = set(
        Document.objects.filter(application_id__in=ids).values_list(
            "application_id", "document_type_id", "project_id"
        )
    )
    have_types = {(a, t) for a, t, _p in have}
    projects: dict[int, list] = {}
    if any(t.scope == DocumentScope.PROJECT for t in required):
        for app_id, project_id, code in (
            Selection.objects.filter(application_id__in=ids)
            .order_by("project__code")
            .values_list("application_id", "project_id", "project__code")
        ):
            projects.setdefault(app_id, []).append((project_id, code))
    for app in applications:
        for kind in (t for t in required if t.programme_id == app.programme_id):
            if kind.scope == DocumentScope.APPLICATION:
                if (app.pk, kind.pk) not in have_types:
                    missing[app.pk].append(kind.title)
            else:
                missing[app.pk] += [
                    f"{kind.title} ({code})"
                    for pk, code in projects.get(app.pk, [])
                    if (app.pk, kind.pk, pk) not in have
                ]
    return missing


def missing_reason(missing: list[str]) -> str:
    return ngettext(
        "A required document is missing: %(docs)s.",
        "Required documents are missing: %(docs)s.",
        len(missing),
    ) % {"docs": "; ".join(missing)}


def submission_rows(application: Application) -> list[list]:
    """What a submission's digest covers of the documents: type, project, SHA-256, size and name."""
    rows = application.documents.order_by("document_type__code", "project__code", "sha256", "id").values_list(
        "document_type__code", "project__code", "sha256", "size", "filename"
    )
    return [[kind, project or "", sha, size, name] for kind, project, sha, size, name in rows]


# --- writing ------------------------------------------------------------------------------------


def _lock(application) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("programme", "municipality")
        .get(pk=application.pk)
    )


def _check_may_edit(app: Application, actor):
    # No actor: a command (the demo), as for the selections' services.
    if actor is not None:
        own = roles.municipality_of(actor)
        if own is None or own.pk != app.municipality_id:
            raise DocumentError(_("Only the municipality of the application adds or removes its documents."))
    if app.status not in EDITABLE_STATUSES:
        raise DocumentError(
            _("Documents can be changed only while the application is a draft or returned (now: %(s)s).")
            % {"s": app.get_status_display()}
        )


def _check_kind(app: Application, document_type: DocumentType, project):
    if document_type.programme_id != app.programme_id:
        raise DocumentError({"kind": _("This document type belongs to another programme.")})
    if document_type.scope == DocumentScope.APPLICATION and project is not None:
        raise DocumentError(
            {
                "project": _("«%(t)s» is attached to the application, not to a project.")
                % {"t": document_type.title}
            }
        )
    if document_type.scope == DocumentScope.PROJECT:
        if project is None:
            raise DocumentError(
                {
                    "project": _("«%(t)s» is attached to one of the selected projects: name it.")
                    % {"t": document_type.title}
                }
            )
        if not app.selections.filter(project=project).exists():
            raise DocumentError(
                {"project": _("Project %(p)s is not selected in this application.") % {"p": project.code}}
            )


def _bump(app: Application):
    Application.objects.filter(pk=app.pk).update(version=F("version") + 1)
    app.version += 1  # read under the row's lock (_lock), so the stored one now


def document_upload(
    *, application, document_type, file, project=None, actor=None, channel=Channel.CODE
) -> Document:
    """Check and store `file` as a document of `application`; audited as document.upload."""
    _check_may_edit(application, actor)
    _check_kind(application, document_type, project)
    fmt, sha256, size = check_file(file, formats=document_type.formats, max_size=document_type.max_size)
    name = store_file(file, f"documents/{application.pk}", fmt)
    try:
        with transaction.atomic():
            app = _lock(application)
            _check_may_edit(app, actor)
            document = Document.objects.create(
                application=app,
                document_type=document_type,
                project=project,
                file=name,
                filename=clean_filename(file.name),
                format=fmt,
                size=size,
                sha256=sha256,
                uploaded_by=actor,
                uploaded_by_name=audit.actor_display(actor)[:150],
            )
            _bump(app)
            audit.record(
                action="document.upload",
                channel=channel,
                actor=actor,
                obj=document,
                after=audit.snapshot(document, DOCUMENT_AUDITED),
                municipality=app.municipality,
                application=app,
            )
    except BaseException:
        private_storage().delete(name)
        raise
    application.version = app.version
    return document


def document_delete(*, document, actor=None, channel=Channel.CODE) -> None:
    """Remove a document (its file goes once the removal commits); audited as document.delete."""
    with transaction.atomic():
        app = _lock(document.application)
        _check_may_edit(app, actor)
        current = Document.objects.select_for_update().filter(pk=document.pk, application=app).first()
        if current is None:
            raise DocumentError(_("This document was removed meanwhile."))
        audit.record(
            action="document.delete",
            channel=channel,
            actor=actor,
            obj=current,
            before=audit.snapshot(current, DOCUMENT_AUDITED),
            municipality=app.municipality,
            application=app,
        )
        name = current.file
        current.delete()
        _bump(app)
        discard_file(name)


def open_for_download(stored, *, actor, channel, action: str, application):
    """Open a stored file (a Document or a MessageAttachment) the caller may read, recording the read.
    The caller found `stored` through the scoped selectors: that lookup is the permission check."""
    handle = private_storage().open(stored.file, "rb")
    audit.record(
        action=action,
        channel=channel,
        actor=actor,
        obj=stored,
        after={"filename": stored.filename, "sha256": stored.sha256, "size": stored.size},
        municipality=application.municipality,
        application=application,
    )
    return handle


def document_open(*, document, actor, channel=Channel.CODE):
    """The document's file, open for reading; the download is audited (document.download)."""
    return open_for_download(
        document, actor=actor, channel=channel, action="document.download", application=document.application
    )


def attachment_max_size() -> int:
    return DEFAULT_MAX_SIZE
