"""Accounts: anyone who has acted leaves history (AuditEvent.actor is PROTECT), so such accounts
are deactivated, never deleted; activating and deactivating is itself audited."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from grants import services
from grants.models import AuditEvent, Channel

User = get_user_model()


def has_history(user) -> bool:
    return AuditEvent.objects.filter(actor=user).exists()


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    actions = ["activate", "deactivate"]
    list_filter = ("is_active", "is_staff", "is_superuser", "groups")

    def has_delete_permission(self, request, obj=None):
        if obj is not None and has_history(obj):
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        if has_history(obj):
            messages.error(
                request, gettext("%(user)s has history: deactivate the account instead.") % {"user": obj}
            )
            return
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with_history = queryset.filter(
            pk__in=AuditEvent.objects.filter(actor__isnull=False).values("actor_id")
        )
        refused = list(with_history)
        if refused:
            messages.error(
                request,
                gettext("Not deleted, they have history (deactivate them instead): %(users)s")
                % {"users": ", ".join(str(u) for u in refused)},
            )
        super().delete_queryset(request, queryset.exclude(pk__in=[u.pk for u in refused]))

    def save_model(self, request, obj, form, change):
        if change and "is_active" in form.changed_data:
            wanted = obj.is_active
            obj.is_active = not wanted  # the service flips it, under a lock, with its record
            super().save_model(request, obj, form, change)
            services.user_set_active(user=obj, active=wanted, actor=request.user, channel=Channel.ADMIN)
        else:
            super().save_model(request, obj, form, change)

    def _set_active(self, request, queryset, active):
        changed = 0
        for user in queryset:
            if user.is_active != active:
                services.user_set_active(user=user, active=active, actor=request.user, channel=Channel.ADMIN)
                changed += 1
        if active:
            text = ngettext("%(n)d account activated.", "%(n)d accounts activated.", changed)
        else:
            text = ngettext("%(n)d account deactivated.", "%(n)d accounts deactivated.", changed)
        messages.success(request, text % {"n": changed})

    @admin.action(description=_("Activate the selected accounts"), permissions=["change"])
    def activate(self, request, queryset):
        self._set_active(request, queryset, True)

    @admin.action(description=_("Deactivate the selected accounts"), permissions=["change"])
    def deactivate(self, request, queryset):
        self._set_active(request, queryset, False)
