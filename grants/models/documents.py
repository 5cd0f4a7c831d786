"""The review conversation's records: the documents a programme asks for (DocumentType), the files a
municipality attaches to its application (Document), and the thread of messages between the
municipality and the officers (Message, with MessageAttachment). Written only through
grants.documents and grants.conversation, which check the files and write the audit trail; the files
themselves live in the "private" storage, served only by permission-checked views."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# 20 MB: the default largest file a document type accepts.
DEFAULT_MAX_SIZE = 20 * 1024 * 1024


class FileFormat(models.TextChoices):
    """The formats a document may have, recognised from the file's content (grants.file_checks)."""

    PDF = "pdf", "PDF"
    XLSX = "xlsx", "XLSX"
    DOCX = "docx", "DOCX"
    ODT = "odt", "ODT"
    JPEG = "jpeg", "JPEG"
    PNG = "png", "PNG"


def default_formats() -> list[str]:
    return [FileFormat.PDF.value]


class DocumentScope(models.TextChoices):
    APPLICATION = "application", _("the application")
    PROJECT = "project", _("each selected project")


class DocumentType(models.Model):
    """A document a programme asks of its applications, set by officers in the admin."""

    programme = models.ForeignKey(
        "grants.Programme",
        on_delete=models.PROTECT,
        related_name="document_types",
        verbose_name=_("programme"),
    )
    code = models.SlugField(_("code"), max_length=40, help_text=_("Stable: the API names the type by it."))
    title_el = models.CharField(_("title (Greek)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    required = models.BooleanField(
        _("required for submission"),
        default=False,
        help_text=_("An application cannot be submitted without it (for each selected project, by scope)."),
    )
    scope = models.CharField(
        _("attached to"), max_length=12, choices=DocumentScope.choices, default=DocumentScope.APPLICATION
    )
    formats = models.JSONField(_("allowed formats"), default=default_formats)
    max_size = models.PositiveIntegerField(
        _("maximum size (bytes)"), default=DEFAULT_MAX_SIZE, help_text=_("20 MB is 20971520 bytes.")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    official = models.BooleanField(
        _("confirmed against the call"),
        default=False,
        help_text=_("Otherwise an illustrative default, to be confirmed against the call."),
    )

    class Meta:
        ordering = ["programme", "order", "code"]
        verbose_name = _("document type")
        verbose_name_plural = _("document types")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "code"], name="document_type_code_once_per_programme"
            ),
            models.CheckConstraint(condition=models.Q(max_size__gt=0), name="document_type_max_size_gt_0"),
        ]

    def __str__(self):
        return self.title

    @property
    def title(self):
        return self.title_en if (get_language() or "el").startswith("en") else self.title_el


class StoredFile(models.Model):
    """What every stored file keeps: its name in the private storage, the name it was sent with, the
    format recognised from its content, its size and SHA-256."""

    # The file's name in the "private" storage, looked up at each use (as ExportJob.file), so that
    # settings choose the storage.
    file = models.CharField(_("stored file"), max_length=300)
    filename = models.CharField(_("file name"), max_length=255)
    format = models.CharField(_("format"), max_length=8, choices=FileFormat.choices)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField("SHA-256", max_length=64)

    class Meta:
        abstract = True


class Document(StoredFile):
    """A file a municipality attached to its application, of one of the programme's document types
    (and, for a type attached to each project, for one selected catalogue project)."""

    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.CASCADE,
        related_name="documents",
        verbose_name=_("application"),
    )
    document_type = models.ForeignKey(
        DocumentType, on_delete=models.PROTECT, related_name="documents", verbose_name=_("document type")
    )
    project = models.ForeignKey(
        "projects.CatalogueProject",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("project"),
    )
    # SET_NULL with the name kept: the record outlives the account.
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_by_name = models.CharField(_("uploaded by"), max_length=150)
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        ordering = ["application", "document_type__order", "document_type__code", "uploaded_at", "id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        indexes = [models.Index(fields=["application", "document_type"], name="grants_document_app_type_idx")]

    def __str__(self):
        return self.filename


class MessageSide(models.TextChoices):
    MUNICIPALITY = "municipality", _("Municipality")
    AUTHORITY = "authority", _("Managing authority")


class MessageKind(models.TextChoices):
    MESSAGE = "message", _("Message")
    # The officer's message that goes with a return for corrections: what is asked, and by when.
    RETURN = "return", _("Returned for corrections")


class Message(models.Model):
    """One message of an application's clarifications thread. Never edited or deleted once sent."""

    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.CASCADE,
        related_name="messages",
        verbose_name=_("application"),
    )
    side = models.CharField(_("from"), max_length=12, choices=MessageSide.choices)
    kind = models.CharField(_("kind"), max_length=8, choices=MessageKind.choices, default=MessageKind.MESSAGE)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    author_name = models.CharField(_("author"), max_length=150)
    body = models.TextField(_("message"), max_length=5000)
    # A return's list of what the municipality is asked to correct or send, and its response deadline.
    requested_items = models.JSONField(_("requested items"), default=list, blank=True)
    response_due = models.DateField(_("response deadline"), null=True, blank=True)
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        ordering = ["application", "created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            # The thread in either order, and each application's latest message and its side read from
            # the index alone (the desk's «messages waiting for an answer», grants.desk).
            models.Index(
                fields=["application", "-created_at", "-id"],
                include=["side"],
                name="grants_message_latest_idx",
            ),
            # The newest messages of one side (the desk's short list), without sorting them all.
            models.Index(fields=["side", "-created_at", "-id"], name="grants_message_side_time_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(side__in=MessageSide.values), name="grants_message_side"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=MessageKind.values), name="grants_message_kind"
            ),
        ]

    def __str__(self):
        return f"{self.author_name}, {timezone.localtime(self.created_at):%d/%m/%Y %H:%M}"


class MessageAttachment(StoredFile):
    """A file sent with a message: kept with it, so never deleted either."""

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("message")
    )

    class Meta:
        ordering = ["message", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.filename
