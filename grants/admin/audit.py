"""The audit trail in the admin: readable by those allowed to view it, writable by nobody — not
even a superuser. The model and (on PostgreSQL) a trigger refuse changes as well; this only keeps the
admin from offering them."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from grants.models import AuditEvent

from .formatting import EMPTY, datetime_gr


def _value(value):
    if value is None or value == "":
        return EMPTY
    return str(value)


def before_after_rows(event) -> list[tuple[str, str, str]]:
    before, after = event.before or {}, event.after or {}
    keys = list(before) + [k for k in after if k not in before]
    return [(key, _value(before.get(key)), _value(after.get(key))) for key in keys]


def render_before_after(event):
    rows = before_after_rows(event)
    if not rows:
        return EMPTY
    return format_html_join(mark_safe("<br>"), "{}: {} → {}", rows)


def render_history(events):
    """A read-only table of events: time, who, channel, action, before → after, note."""
    rows = [
        (
            datetime_gr(e.created_at),
            e.actor_name or EMPTY,
            e.get_channel_display(),
            e.action,
            render_before_after(e),
            e.note or "",
        )
        for e in events
    ]
    if not rows:
        return EMPTY
    head = format_html(
        "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        _("time"),
        _("actor"),
        _("channel"),
        _("action"),
        _("before → after"),
        _("note"),
    )
    body = format_html_join(
        "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows
    )
    return format_html("<table class='sc-history'><thead>{}</thead><tbody>{}</tbody></table>", head, body)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("time_col", "actor_name", "channel", "action", "object_repr", "changes_col", "note")
    list_filter = ("channel", "action", ("created_at", admin.DateFieldListFilter))
    search_fields = ("actor_name", "action", "object_repr", "note", "object_id")
    date_hierarchy = "created_at"
    list_per_page = 100
    # No foreign key is rendered in the list: the names are snapshotted on the event itself.
    list_select_related = ()
    show_full_result_count = False
    fields = (
        "created_at",
        "actor",
        "actor_name",
        "channel",
        "action",
        "content_type",
        "object_id",
        "object_repr",
        "municipality",
        "application",
        "changes_col",
        "note",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("time"), ordering="created_at")
    def time_col(self, obj):
        return datetime_gr(obj.created_at)

    @admin.display(description=_("before → after"))
    def changes_col(self, obj):
        return render_before_after(obj)
