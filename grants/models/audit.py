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

    def datetimes(self, field_name, kind, tzinfo=None):
        """The periods (year, month, day) that hold at least one event, as QuerySet.datetimes gives
        them, found by jumping from each period's first event to the next period's (a few index
        probes on created_at) instead of truncating every timestamp of the trail: the admin's date
        drill-down over millions of events."""
        if field_name != "created_at" or kind not in ("year", "month", "day") or tzinfo is not None:
            return super().datetimes(field_name, kind, tzinfo=tzinfo)
        return _periods(self.order_by(), kind)

    def recorded_actions(self) -> list[str]:
        """The distinct actions of these events. On PostgreSQL, over the whole trail, a walk of the
        action index (one probe per distinct action) rather than a scan of every event."""
        connection = connections[self.db]
        if self.query.where or connection.vendor != "postgresql":
            return list(self.order_by("action").values_list("action", flat=True).distinct())
        table = connection.ops.quote_name(self.model._meta.db_table)
        # ~<~ and ~>~ are the operators of the action index's varchar_pattern_ops.
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                WITH RECURSIVE walk(action) AS (
                    (SELECT action FROM {table} ORDER BY action USING ~<~ LIMIT 1)
                    UNION ALL
                    SELECT (SELECT e.action FROM {table} e WHERE e.action ~>~ walk.action
                            ORDER BY e.action USING ~<~ LIMIT 1)
                    FROM walk WHERE walk.action IS NOT NULL
                )
                SELECT action FROM walk WHERE action IS NOT NULL
                """
            )
            return sorted(row[0] for row in cursor.fetchall())

    # bulk_update goes through update(); bulk_create stays allowed (it only inserts), chained.
    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            connection, table = connections[self.db], self.model._meta.db_table
            previous = audit_chain.lock_head(connection, table)
            for obj in objs:
                obj.chain_hash = previous = audit_chain.event_hash(previous, obj.chain_content())
            created = super().bulk_create(objs, *args, **kwargs)
            audit_chain.extended(connection, table, previous)
            return created


def _periods(qs, kind) -> list:
    """The starts (in the current time zone) of the `kind` periods holding an event of `qs`."""
    import datetime

    periods = []
    first = qs.aggregate(m=models.Min("created_at"))["m"]
    while first is not None:
        local = timezone.localtime(first) if timezone.is_aware(first) else first
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        if kind in ("year", "month"):
            start = start.replace(day=1)
        if kind == "year":
            start = start.replace(month=1)
        naive = start.replace(tzinfo=None)
        if kind == "day":
            following = naive + datetime.timedelta(days=1)
        elif kind == "month":
            following = (naive.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        else:
            following = naive.replace(year=naive.year + 1)
        periods.append(timezone.make_aware(naive) if timezone.is_aware(first) else naive)
        bound = timezone.make_aware(following) if timezone.is_aware(first) else following
        first = qs.filter(created_at__gte=bound).aggregate(m=models.Min("created_at"))["m"]
    return periods


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
            connection, table = connections[using], self._meta.db_table
            previous = audit_chain.lock_head(connection, table)
            self.chain_hash = audit_chain.event_hash(previous, self.chain_content())
            super().save(*args, **kwargs)
            audit_chain.extended(connection, table, self.chain_hash)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("Audit events are append-only.")

    def chain_content(self) -> tuple:
        """The values grants.audit_chain hashes, `before` and `after` as they will read back once stored."""
        values = [getattr(self, column) for column in audit_chain.COLUMNS]
        values[10] = audit_chain.stored_json(self.before)
        values[11] = audit_chain.stored_json(self.after)
        return tuple(values)
