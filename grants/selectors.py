"""Reads, and the one scoping rule: what a user may see. The admin, the portal, the API, the
exports and every aggregate start from these querysets — counts leak data too."""

from django.db.models import QuerySet

from grants import roles
from grants.models import (
    Application,
    AuditEvent,
    Contract,
    Document,
    ExpenditureDeclaration,
    Message,
    MessageAttachment,
    Municipality,
    Payment,
)
from projects.models import Selection


def _scoped(qs: QuerySet, user, municipality_field: str, **extra) -> QuerySet:
    """Staff roles see every row; a municipality account only rows of its municipality; anyone else none."""
    if roles.is_staff_role(user):
        return qs
    own = roles.municipality_of(user)
    return qs.filter(**{municipality_field: own.pk}, **extra) if own else qs.none()


def municipalities_for(user) -> QuerySet[Municipality]:
    return _scoped(Municipality.objects.select_related("regional_unit__region"), user, "pk")


def applications_for(user) -> QuerySet[Application]:
    qs = Application.objects.select_related("programme", "municipality__regional_unit__region")
    return _scoped(qs, user, "municipality_id")


def selections_for(user) -> QuerySet[Selection]:
    qs = Selection.objects.select_related(
        "project__category", "application__municipality__regional_unit__region", "application__programme"
    )
    return _scoped(qs, user, "application__municipality_id")


def audit_events_for(user) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.select_related("municipality", "content_type")
    # A municipality sees the history of its own application, never other objects' history.
    return _scoped(qs, user, "municipality_id", application__isnull=False)


def documents_for(user) -> QuerySet[Document]:
    qs = Document.objects.select_related(
        "document_type", "project", "uploaded_by", "application__municipality"
    )
    return _scoped(qs, user, "application__municipality_id")


def contracts_for(user) -> QuerySet[Contract]:
    qs = Contract.objects.select_related("project", "application__municipality", "checked_by", "created_by")
    return _scoped(qs, user, "application__municipality_id")


def declarations_for(user) -> QuerySet[ExpenditureDeclaration]:
    qs = ExpenditureDeclaration.objects.select_related(
        "contract__project", "application__municipality", "verified_by", "declared_by"
    )
    return _scoped(qs, user, "application__municipality_id")


def messages_for(user) -> QuerySet[Message]:
    """The threads `user` may read (both sides and auditors), each message with its attachments."""
    qs = Message.objects.select_related("author").prefetch_related("attachments")
    return _scoped(qs, user, "application__municipality_id")


def attachments_for(user) -> QuerySet[MessageAttachment]:
    qs = MessageAttachment.objects.select_related("message__application__municipality")
    return _scoped(qs, user, "message__application__municipality_id")


def payments_for(user) -> QuerySet[Payment]:
    qs = Payment.objects.select_related("application__municipality", "prepared_by", "authorised_by")
    return _scoped(qs, user, "application__municipality_id")
