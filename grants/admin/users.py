"""Accounts: anyone who has acted leaves history (AuditEvent.actor is PROTECT), so such accounts
are deactivated, never deleted. Every other edit — creation, name, e-mail, groups (which are the
roles), staff and superuser flags, passwords set here — is recorded through grants.services."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.models import TokenProxy

from grants import roles, services
from grants.mfa import services as mfa_services
from grants.models import Channel

User = get_user_model()


if admin.site.is_registered(User):
    admin.site.unregister(User)
if admin.site.is_registered(Group):
    admin.site.unregister(Group)
# API tokens are issued to an account by its own password (the API's token endpoint, audited): an
# administrator minting one in the admin could act as a municipality without a trace.
if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)


# Second-factor devices are reset by an officer from the accounts list (audited) and set up by their
# owner only: django-otp's own admins would show another person's secret key and delete without a record.
def _unregister_otp_admins():
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for model in (TOTPDevice, StaticDevice):
        if admin.site.is_registered(model):
            admin.site.unregister(model)


_unregister_otp_admins()


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    actions = ["activate", "deactivate", "mfa_reset"]
    list_display = (*DjangoUserAdmin.list_display, "two_step")
    list_filter = ("is_active", "is_staff", "is_superuser", "groups")

    def get_queryset(self, request):
        from django_otp.plugins.otp_totp.models import TOTPDevice

        enrolled = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        return super().get_queryset(request).annotate(mfa_enrolled=Exists(enrolled))

    @admin.display(description=_("Two-step verification"), boolean=True, ordering="mfa_enrolled")
    def two_step(self, obj):
        return obj.mfa_enrolled

    def has_delete_permission(self, request, obj=None):
        if obj is not None and services.account_has_history(obj):
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        try:
            services.account_delete(user=obj, actor=request.user, channel=Channel.ADMIN)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))

    def delete_queryset(self, request, queryset):
        refused = []
        for user in queryset:
            try:
                services.account_delete(user=user, actor=request.user, channel=Channel.ADMIN)
            except ValidationError:
                refused.append(user)
        if refused:
            messages.error(
                request,
                gettext("Not deleted, they have history (deactivate them instead): %(users)s")
                % {"users": ", ".join(str(u) for u in refused)},
            )

    def save_model(self, request, obj, form, change):
        # The database still holds the old values (and groups, saved later by save_related).
        form.account_before = services.account_snapshot(User.objects.get(pk=obj.pk)) if change else None
        if change and "is_active" in form.changed_data:
            wanted = obj.is_active
            obj.is_active = not wanted  # the service flips it, under a lock, with its record
            super().save_model(request, obj, form, change)
            services.user_set_active(user=obj, active=wanted, actor=request.user, channel=Channel.ADMIN)
        else:
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.account_edit_record(
            user=form.instance, before=form.account_before, actor=request.user, channel=Channel.ADMIN
        )
        if not change and form.instance.has_usable_password():
            services.account_password_set(user=form.instance, actor=request.user, channel=Channel.ADMIN)

    def user_change_password(self, request, id, form_url=""):
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            # Django redirects only once the password is saved; a refused form renders again (200).
            if request.method == "POST" and response.status_code == 302:
                user = User.objects.get(pk=unquote(id))
                services.account_password_set(user=user, actor=request.user, channel=Channel.ADMIN)
        return response

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

    def has_mfa_reset_permission(self, request):
        # Officers (superusers included) help colleagues who lost their phone, with the accounts list
        # they can read; an approver or auditor, even one allowed to edit users, may not take another
        # person's second factor away.
        return roles.is_officer(request.user) and self.has_view_or_change_permission(request)

    @admin.action(description=_("Reset two-step verification (lost phone)"), permissions=["mfa_reset"])
    def mfa_reset(self, request, queryset):
        done, refused = 0, []
        for user in queryset.exclude(pk=request.user.pk):
            if not mfa_services.may_reset(actor=request.user, user=user):
                refused.append(user)
                continue
            done += mfa_services.mfa_reset(user=user, actor=request.user, channel=Channel.ADMIN)
        if refused:
            messages.error(
                request,
                gettext("Only a superuser may reset a superuser's two-step verification: %(users)s")
                % {"users": ", ".join(str(u) for u in refused)},
            )
        messages.success(
            request,
            ngettext(
                "Two-step verification reset for %(n)d account: it sets it up again at its next sign-in.",
                "Two-step verification reset for %(n)d accounts: they set it up again at their next sign-in.",
                done,
            )
            % {"n": done},
        )
        if queryset.filter(pk=request.user.pk).exists():
            messages.warning(request, gettext("Your own two-step verification is reset by another officer."))


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    """Groups are the roles: their permissions decide what each role may do, so every edit is recorded.
    (The four role groups are also reset to their permissions on every migrate: grants.permissions_setup.)"""

    def save_model(self, request, obj, form, change):
        # The database still holds the old permissions; save_related writes the new ones.
        form.group_before = services.group_snapshot(Group.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.group_edit_record(
            group=form.instance, before=form.group_before, actor=request.user, channel=Channel.ADMIN
        )

    def delete_model(self, request, obj):
        services.group_delete(group=obj, actor=request.user, channel=Channel.ADMIN)

    def delete_queryset(self, request, queryset):
        for group in queryset:
            services.group_delete(group=group, actor=request.user, channel=Channel.ADMIN)


class _ReadOnly:
    actions = []

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _read_only_axes_admins():
    """django-axes' records of failed logins and lock-outs, read-only: deleting an attempt lifts a
    lock-out and deleting a log erases evidence, neither of which would leave an audit event. A
    lock-out ends by itself after AXES_COOLOFF_HOURS, or with `manage.py axes_reset` on the server."""
    from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    for model, base in (
        (AccessAttempt, AccessAttemptAdmin),
        (AccessLog, AccessLogAdmin),
        (AccessFailureLog, AccessFailureLogAdmin),
    ):
        if admin.site.is_registered(model):
            admin.site.unregister(model)
            admin.site.register(model, type(base.__name__, (_ReadOnly, base), {"__module__": __name__}))


_read_only_axes_admins()
