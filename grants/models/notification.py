"""Every user's inbox: what happened to them, written in the same transaction as the change that
caused it (grants.inbox.notify), and each user's preferences for the e-mail that follows it."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    MESSAGE = "message", _("New message")
    RETURNED = "returned", _("Returned for corrections")
    PROPOSED = "proposed", _("Proposed for inclusion")
    INCLUDED = "included", _("Included")
    REJECTED = "rejected", _("Rejected")
    # Any other change of status (submitted, under review, withdrawn, de-included).
    STATUS = "status", _("Status changed")
    DEADLINE = "deadline", _("Deadline approaching")
    OVERDUE = "overdue", _("Overdue")
    EXPORT_READY = "export_ready", _("Export ready")


# E-mail a user cannot turn off: a decision on their application, a return that waits for their answer,
# and a deadline about to pass. Everything else is in the inbox anyway.
MANDATORY_EMAIL = frozenset(
    {
        NotificationKind.RETURNED,
        NotificationKind.INCLUDED,
        NotificationKind.REJECTED,
        NotificationKind.DEADLINE,
    }
)


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("application"),
    )
    # The text's parameters (names, dates, codes), never amounts; the text itself is said in the
    # reader's language when shown or e-mailed (grants.inbox.render).
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox"),
            models.Index(
                fields=["recipient"], condition=models.Q(read_at__isnull=True), name="notification_unread"
            ),
        ]

    def __str__(self):
        return f"{self.recipient_id}: {self.kind}"


class UserPreferences(models.Model):
    """A user's language for what is sent to them and the e-mails they turned off. A user without a
    row has the defaults: Greek, every e-mail."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="preferences",
        verbose_name=_("user"),
    )
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES, default="el")
    # Kinds (NotificationKind values) whose e-mail the user turned off; mandatory ones are ignored.
    email_off = models.JSONField(_("e-mails turned off"), default=list, blank=True)

    class Meta:
        verbose_name = _("user preferences")
        verbose_name_plural = _("user preferences")

    def __str__(self):
        return str(self.user_id)

    def wants_email(self, kind) -> bool:
        return kind in MANDATORY_EMAIL or kind not in self.email_off


class Reminder(models.Model):
    """A deadline reminder or overdue flag that was sent, by its identity (what, which application,
    which date): the periodic task never sends the same one twice, even to contact addresses that
    have no inbox."""

    key = models.CharField(_("key"), max_length=120, unique=True)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")

    def __str__(self):
        return self.key
