"""The clarifications thread of an application: messages between its municipality and the managing
authority's officers, with optional attachments, read by both sides and by auditors. A message is
never edited or deleted (the database refuses it too, migration 0011); each is audited.

`post_message` is the one way a message is written: the portal, the API, the admin and the workflow's
`return` (the officer's requested items and response deadline) call it, inside their transaction. It
is also where notifications of a new message hook in.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grants import audit, inbox, roles
from grants.documents import (
    DocumentError,
    check_file,
    clean_filename,
    open_for_download,
    private_storage,
    store_file,
)
from grants.models import (
    DEFAULT_MAX_SIZE,
    RELEASED_STATUSES,
    Application,
    Channel,
    FileFormat,
    Message,
    MessageAttachment,
    MessageKind,
    MessageSide,
)

MAX_BODY = 5000
MAX_ATTACHMENTS = 5
# Every format a document may have; the size limit of a document type's default.
ATTACHMENT_FORMATS = tuple(FileFormat.values)


class MessageError(DocumentError):
    """A refused message: a dict names the field (body, attachments); a plain message is about who
    may write or the thread being closed."""


def closed_reason(application: Application) -> str:
    """Why the thread takes no more messages, "" while it is open. It stays open in every status
    until the operation is closed: rejected, withdrawn or de-included."""
    if application.status in RELEASED_STATUSES:
        return _("The operation is closed («%(s)s»): its thread takes no more messages.") % {
            "s": application.get_status_display()
        }
    return ""


def side_of(application: Application, user) -> str | None:
    """The side `user` writes for in this application's thread, or None when they may only read
    (auditors) or not at all. Officers and approvers write for the managing authority."""
    own = roles.municipality_of(user)
    if own is not None:
        return MessageSide.MUNICIPALITY if own.pk == application.municipality_id else None
    if roles.is_officer(user) or roles.is_approver(user):
        return MessageSide.AUTHORITY
    return None


def may_post(application: Application, user) -> tuple[bool, str]:
    """Whether `user` may write in the thread now and, if not, why (for the buttons)."""
    if side_of(application, user) is None:
        return False, _("Only the municipality and the managing authority's officers write in this thread.")
    reason = closed_reason(application)
    return (not reason, reason)


MAX_ITEM = 500


def clean_items(items, *, error=None) -> list[str]:
    """A return's requested items as a list of non-empty lines: from a list, or a text of one item a
    line (the admin's box). `error` is the refusal's class (the workflow's TransitionError)."""
    if items in (None, ""):
        return []
    if isinstance(items, str):
        items = items.splitlines()
    if not isinstance(items, list | tuple):
        raise (error or MessageError)({"requested_items": _("A list of the items requested.")})
    cleaned = [str(i).strip() for i in items]
    if any(len(i) > MAX_ITEM for i in cleaned):
        raise (error or MessageError)(
            {"requested_items": _("Each requested item is at most %(n)d characters.") % {"n": MAX_ITEM}}
        )
    return [i for i in cleaned if i]


def post_message(
    *,
    application: Application,
    author,
    body: str,
    attachments=(),
    channel=Channel.CODE,
    kind=MessageKind.MESSAGE,
    requested_items=(),
    response_due: datetime.date | None = None,
) -> Message:
    """Write a message (and its attachments, checked as documents are) in `application`'s thread as
    `author`; audited as message.post. Runs in the caller's transaction when there is one (the
    workflow's return), else in its own."""
    body = (body or "").strip()
    if not body:
        raise MessageError({"body": _("Write the message.")})
    if len(body) > MAX_BODY:
        raise MessageError({"body": _("A message is at most %(n)d characters.") % {"n": MAX_BODY}})
    attachments = list(attachments or [])
    if len(attachments) > MAX_ATTACHMENTS:
        raise MessageError(
            {"attachments": _("At most %(n)d files go with one message.") % {"n": MAX_ATTACHMENTS}}
        )
    items = clean_items(requested_items)
    side = side_of(application, author)
    allowed, reason = may_post(application, author)
    if not allowed:
        raise MessageError(reason)
    checked = [
        check_file(upload, formats=ATTACHMENT_FORMATS, max_size=DEFAULT_MAX_SIZE, field="attachments")
        for upload in attachments
    ]
    stored = [
        store_file(upload, f"messages/{application.pk}", fmt)
        for upload, (fmt, _sha, _size) in zip(attachments, checked, strict=True)
    ]
    try:
        with transaction.atomic():
            app = (
                Application.objects.select_for_update(of=("self",))
                .select_related("municipality")
                .get(pk=application.pk)
            )
            allowed, reason = may_post(app, author)
            if not allowed:
                raise MessageError(reason)
            message = Message.objects.create(
                application=app,
                side=side,
                kind=kind,
                author=author if getattr(author, "is_authenticated", False) else None,
                author_name=audit.actor_display(author)[:150],
                body=body,
                requested_items=items,
                response_due=response_due,
                created_at=timezone.now(),
            )
            files = [
                MessageAttachment.objects.create(
                    message=message,
                    file=name,
                    filename=clean_filename(upload.name),
                    format=fmt,
                    size=size,
                    sha256=sha256,
                )
                for upload, name, (fmt, sha256, size) in zip(attachments, stored, checked, strict=True)
            ]
            after = {"side": side, "kind": kind, "body": body}
            if items:
                after["requested_items"] = items
            if response_due:
                after["response_due"] = response_due
            if files:
                after["attachments"] = [
                    {"filename": f.filename, "sha256": f.sha256, "size": f.size} for f in files
                ]
            audit.record(
                action="message.post",
                channel=channel,
                actor=author,
                obj=message,
                after=after,
                municipality=app.municipality,
                application=app,
            )
            # The other side hears of it in the same transaction; a return's own message is told by
            # the workflow's "returned" notice instead, so it is not announced twice.
            if kind == MessageKind.MESSAGE:
                inbox.notify_message(app, author=author)
    except BaseException:
        storage = private_storage()
        for name in stored:
            storage.delete(name)
        raise
    return message


def attachment_open(*, attachment: MessageAttachment, actor, channel=Channel.CODE):
    """The attachment's file, open for reading; audited as message.attachment_download."""
    return open_for_download(
        attachment,
        actor=actor,
        channel=channel,
        action="message.attachment_download",
        application=attachment.message.application,
    )
