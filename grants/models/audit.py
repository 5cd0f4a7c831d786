from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from grants import audit_chain


class Channel(models.TextChoices):
    ADMIN = "admin", _("Admin")
    PORTAL = "portal", _("Portal")
    API = "api", _("API")
    IMPORT = "import", _("Import")
    COMMAND = "command", _("Command")
    # "Code" is also a column header («Κωδικός»); as a channel it is program code («Κώδικας»).
    CODE = "code", pgettext_lazy("audit channel", "Code")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionDenied("Audit events are append-only.")

    def delete(self):
        raise PermissionDenied("Audit events are append-only.")

    # bulk_update goes through update(); bulk_create stays allowed (it only inserts), chained.
    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            previous = audit_chain.lock_head(connections[self.db], self.model._meta.db_table)
            for obj in objs:
                obj.chain_hash = previous = audit_chain.event_hash(previous, obj.chain_content())
            return super().bulk_create(objs, *args, **kwargs)


class AuditEvent(models.Model):
    """The append-only record of every change. Written by the services themselves (not by signals
    tied to a request), so commands, imports and bulk operations are recorded like clicks.
    On PostgreSQL a trigger refuses UPDATE and DELETE too (migration 0002)."""

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    # PROTECT, not SET_NULL: setting NULL would be an UPDATE of history. Accounts with history are
    # deactivated, never deleted; actor_name keeps the name as it was at the time.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_name = models.CharField(_("actor name"), max_length=200, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    action = models.CharField(_("action"), max_length=60)
    # Indexed with object_id below: a second index on content_type alone is covered by that one.
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("object type"),
        db_index=False,
    )
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    # Denormalised so that history can be filtered and scoped by municipality and application
    # without decoding every object reference.
    municipality = models.ForeignKey(
        "grants.Municipality",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("municipality"),
    )
    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
        verbose_name=_("application"),
    )
    before = models.JSONField(_("before"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(_("after"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    note = models.TextField(_("note"), blank=True)
    # SHA-256 of the previous event's chain_hash and this event's content (grants.audit_chain).
    chain_hash = models.CharField(_("chain hash"), max_length=64, editable=False)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        # Every index here is written once per event, and imports write events by the hundred
        # thousand: one index on action (no LIKE twin next to a plain one).
        indexes = [
            models.Index(fields=["content_type", "object_id"]),
            # Pattern ops serve both filters people use: one action and a family («workflow.»).
            models.Index(
                fields=["action"], name="grants_audit_action_idx", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self):
        # The admin's titles and breadcrumbs sit beside times shown in Athens time, dd/mm/yyyy.
        at = timezone.localtime(self.created_at) if timezone.is_aware(self.created_at) else self.created_at
        return f"{at:%d/%m/%Y %H:%M} {self.actor_name or '—'} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionDenied("Audit events are append-only.")
        # Chained here, not in one writer: no way of creating an event through the ORM leaves it out.
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using, savepoint=False):
            previous = audit_chain.lock_head(connections[using], self._meta.db_table)
            self.chain_hash = audit_chain.event_hash(previous, self.chain_content())
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("Audit events are append-only.")

    def chain_content(self) -> tuple:
        """The values grants.audit_chain hashes, `before` and `after` as they will read back once stored."""
        values = [getattr(self, column) for column in audit_chain.COLUMNS]
        values[10] = audit_chain.stored_json(self.before)
        values[11] = audit_chain.stored_json(self.after)
        return tuple(values)
