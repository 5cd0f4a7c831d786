"""The audit trail in the admin: readable by those allowed to view it, writable by nobody — not
even a superuser. The model and (on PostgreSQL) a trigger refuse changes as well; this only keeps the
admin from offering them."""

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.contrib.contenttypes.models import ContentType
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
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


SUMMARY_ITEMS = 4


def render_summary(event, names: history.Names):
    """The list's short version: the first few changes on one line each, and how many more."""
    rows = history.changes(event, names)
    if not rows:
        return EMPTY
    shown = format_html_join(mark_safe("<br>"), "{}: {} → {}", rows[:SUMMARY_ITEMS])
    more = len(rows) - SUMMARY_ITEMS
    if more <= 0:
        return shown
    return format_html("{}<br><span class='sc-more'>{}</span>", shown, _("and %(n)d more") % {"n": more})


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


def readable_name(event) -> str:
    """An event as a reader names it: when, who, what happened (in words), on what."""
    parts = (
        datetime_gr(event.created_at),
        event.actor_name,
        history.action_label(event.action),
        event.object_repr,
    )
    return " ".join(p for p in parts if p)


class _Readable:
    def __init__(self, pk, name):
        self.pk, self.name = pk, name

    def __str__(self):
        return self.name


class ObjectTypeFilter(admin.SimpleListFilter):
    """What the event is about (an application, a municipality, an account…), by the model's name:
    the kinds are the project's models, so listing them reads no event."""

    title = _("object type")
    parameter_name = "content_type"

    def lookups(self, request, model_admin):
        models = [m for m in apps.get_models() if m._meta.app_label in ("grants", "projects", "auth")]
        types = ContentType.objects.get_for_models(*models)
        return sorted(
            ((str(ct.pk), capfirst(m._meta.verbose_name)) for m, ct in types.items()), key=lambda c: c[1]
        )

    def queryset(self, request, queryset):
        return queryset.filter(content_type_id=self.value()) if self.value() else queryset


class _NamedChangeList(ChangeList):
    """Names the page's referenced objects once, for the whole page, after the page is known."""

    def get_results(self, request):
        super().get_results(request)
        names = history.names_for(self.result_list)
        for event in self.result_list:
            event.history_names = names


@admin.register(AuditEvent)
class AuditEventAdmin(FastActionCheckboxMixin, admin.ModelAdmin):
    # What a reader scans on a 1366-pixel laptop: when, who, what, on what, and a short summary of
    # the change; the channel, the note and the full before → after are on the event's page.
    list_display = ("time_col", "actor_col", "action_col", "object_col", "summary_col")
    list_display_links = ("time_col",)
    list_filter = (
        ActionFilter,
        ObjectTypeFilter,
        ("application", AutocompleteFilter),
        ("actor", AutocompleteFilter),
        ("municipality", AutocompleteFilter),
        ("created_at", admin.DateFieldListFilter),
        "channel",
    )
    # Newest first: what happened today, not the reference data loaded on the first day.
    ordering = ("-created_at", "-id")
    search_fields = ("actor_name", "action", "object_repr", "note", "object_id")
    date_hierarchy = "created_at"
    list_per_page = 100
    # Millions of events: counted exactly up to 10,000, estimated beyond (grants.pagination).
    paginator = EstimatedCountPaginator
    # No foreign key is rendered in the list: the names are snapshotted on the event itself.
    list_select_related = ()
    show_full_result_count = False
    fields = (
        "time_col",
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
        return (
            super().media
            + AutocompleteFilter.widget_media(AuditEvent, "municipality", self.admin_site)
            + AutocompleteFilter.widget_media(AuditEvent, "application", self.admin_site)
        )

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

    def action_checkbox(self, obj):
        # The row's name for a screen reader, in words rather than the stored action code.
        return super().action_checkbox(_Readable(obj.pk, readable_name(obj)))

    @admin.display(description=_("actor"), ordering="actor_name")
    def actor_col(self, obj):
        return obj.actor_name or EMPTY

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": capfirst(self.opts.verbose_name_plural), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("object"), ordering="object_repr")
    def object_col(self, obj):
        model = history.model_of(obj)
        kind = capfirst(model._meta.verbose_name) if model is not None else ""
        if kind and obj.object_repr:
            return format_html("{}<br><span class='sc-kind'>{}</span>", obj.object_repr, kind)
        return obj.object_repr or kind or EMPTY

    @admin.display(description=_("change"))
    def summary_col(self, obj):
        names = getattr(obj, "history_names", None)
        return render_summary(obj, history.names_for([obj]) if names is None else names)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The event's page is titled by what happened, in words, not by its stored code.
        obj = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if obj is not None:
            extra_context["title"] = capfirst(self.opts.verbose_name)
            extra_context["subtitle"] = readable_name(obj)
        return super().change_view(request, object_id, form_url, extra_context)

    def get_changelist(self, request, **kwargs):
        return _NamedChangeList

    @admin.display(description=_("before → after"))
    def changes_col(self, obj):
        # On the list the page's names are attached; the single event's page names its own.
        names = getattr(obj, "history_names", None)
        return render_before_after(obj, history.names_for([obj]) if names is None else names)
