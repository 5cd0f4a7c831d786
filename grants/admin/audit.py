"""The audit trail in the admin: readable by those allowed to view it, writable by nobody — not
even a superuser. The model and (on PostgreSQL) a trigger refuse changes as well; this only keeps the
admin from offering them."""

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from grants import history
from grants.formatting import EMPTY, datetime_gr
from grants.models import AuditEvent
from grants.pagination import EstimatedCountPaginator

from .common import AutocompleteFilter, FastActionCheckboxMixin
from .exports import export_actions


def render_before_after(event, names: history.Names):
    rows = history.changes(event, names)
    if not rows:
        return EMPTY
    return format_html_join(mark_safe("<br>"), "{}: {} → {}", rows)


def render_history(events):
    """A read-only table of events: time, who, channel, action, before → after, note."""
    events = list(events)
    names = history.names_for(events)
    rows = [
        (
            datetime_gr(e.created_at),
            e.actor_name or EMPTY,
            e.get_channel_display(),
            history.action_label(e.action),
            render_before_after(e, names),
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


class ActionFilter(admin.SimpleListFilter):
    """The actions recorded so far, by their labels; the same parameter as the plain field filter it
    replaces, so bookmarked lists keep working."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        codes = model_admin.get_queryset(request).recorded_actions()
        return sorted(((code, history.action_label(code)) for code in codes), key=lambda c: c[1])

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


class _NamedChangeList(ChangeList):
    """Names the page's referenced objects once, for the whole page, after the page is known."""

    def get_results(self, request):
        super().get_results(request)
        names = history.names_for(self.result_list)
        for event in self.result_list:
            event.history_names = names


@admin.register(AuditEvent)
class AuditEventAdmin(FastActionCheckboxMixin, admin.ModelAdmin):
    list_display = ("time_col", "actor_name", "channel", "action_col", "object_repr", "changes_col", "note")
    list_filter = (
        "channel",
        ActionFilter,
        ("actor", AutocompleteFilter),
        ("municipality", AutocompleteFilter),
        ("created_at", admin.DateFieldListFilter),
    )
    search_fields = ("actor_name", "action", "object_repr", "note", "object_id")
    date_hierarchy = "created_at"
    list_per_page = 100
    # Millions of events: counted exactly up to 10,000, estimated beyond (grants.pagination).
    paginator = EstimatedCountPaginator
    # No foreign key is rendered in the list: the names are snapshotted on the event itself.
    list_select_related = ()
    show_full_result_count = False
    fields = (
        "created_at",
        "actor",
        "actor_name",
        "channel",
        "action_col",
        "content_type",
        "object_id",
        "object_repr",
        "municipality",
        "application",
        "changes_col",
        "note",
        "chain_hash",
    )
    readonly_fields = fields
    actions = export_actions("audit-trail", _("audit trail"))

    @property
    def media(self):
        return super().media + AutocompleteFilter.widget_media(AuditEvent, "municipality", self.admin_site)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("action"), ordering="action")
    def action_col(self, obj):
        return history.action_label(obj.action)

    @admin.display(description=_("time"), ordering="created_at")
    def time_col(self, obj):
        return datetime_gr(obj.created_at)

    def get_changelist(self, request, **kwargs):
        return _NamedChangeList

    @admin.display(description=_("before → after"))
    def changes_col(self, obj):
        # On the list the page's names are attached; the single event's page names its own.
        names = getattr(obj, "history_names", None)
        return render_before_after(obj, history.names_for([obj]) if names is None else names)
