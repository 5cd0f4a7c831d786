"""Writes on municipalities, programmes and applications (other than status, which belongs to
grants.workflow). Keyword-only functions named <entity>_<action>; each writes its AuditEvent in the
same transaction."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grants import audit
from grants.models import Application, CapOverride, Channel, Municipality

MUNICIPALITY_AUDITED = [
    "name",
    "regional_unit",
    "population_2011",
    "population_2021",
    "eligible",
    "eligibility_override",
    "eligibility_override_reason",
    "contact_emails",
]


def application_get_or_create(*, programme, municipality, actor=None, channel=Channel.CODE, is_demo=False):
    """The one application of a municipality in a programme, created as a draft when missing.

    A municipality opens its own draft only while it is eligible and the call is open; officers,
    imports and commands may open one regardless (a published decision is recorded as published)."""
    from grants import roles

    own = roles.municipality_of(actor) if actor is not None else None
    if (
        own is not None
        and not Application.objects.filter(programme=programme, municipality=municipality).exists()
    ):
        if own.pk != municipality.pk:
            raise ValidationError(_("This account belongs to another municipality."))
        if not municipality.is_eligible:
            raise ValidationError(_("%(m)s is not eligible for this programme.") % {"m": municipality})
        closed = programme.closed_reason()
        if closed:
            raise ValidationError(_("The call is not open for new applications. %(why)s") % {"why": closed})
    with transaction.atomic():
        application, created = Application.objects.get_or_create(
            programme=programme, municipality=municipality, defaults={"is_demo": is_demo}
        )
        if created:
            audit.record(
                action="application.create",
                channel=channel,
                actor=actor,
                obj=application,
                after=audit.snapshot(application, ["programme", "municipality", "status", "budget"]),
                municipality=municipality,
                application=application,
            )
    return application, created


def municipality_update(*, municipality: Municipality, actor=None, channel=Channel.CODE, note="", **changes):
    """Change registry fields; an eligibility override always carries its reason."""

    def check(locked):
        if locked.eligibility_override is not None and not locked.eligibility_override_reason.strip():
            raise ValidationError(
                {"eligibility_override_reason": _("An eligibility override needs a reason.")}
            )
        if locked.eligibility_override is None:
            locked.eligibility_override_reason = ""

    def action(locked, new):
        overridden = "eligibility_override" in new or "eligibility_override_reason" in new
        return "municipality.eligibility_override" if overridden else "municipality.update"

    return audit.update_with_audit(
        municipality,
        MUNICIPALITY_AUDITED,
        changes,
        action=action,
        actor=actor,
        channel=channel,
        note=lambda locked, new: note or locked.eligibility_override_reason,
        check=check,
        municipality=lambda locked: locked,
    )


def cap_override_set(
    *, programme, municipality, amount: Decimal | None, reason: str = "", actor=None, channel=Channel.CODE
):
    """Set (amount) or clear (None) a municipality's cap override, with a reason either way."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("A cap override needs a reason.")})
    if amount is not None:
        amount = Decimal(amount)
        if amount < 0:
            raise ValidationError({"amount": _("A cap cannot be negative.")})
    with transaction.atomic():
        existing = (
            CapOverride.objects.select_for_update()
            .filter(programme=programme, municipality=municipality)
            .first()
        )
        before = {"amount": existing.amount, "reason": existing.reason} if existing else {}
        if amount is None:
            if existing is None:
                return None
            existing.delete()
            result = None
            after = {}
        elif existing is None:
            result = CapOverride.objects.create(
                programme=programme, municipality=municipality, amount=amount, reason=reason, created_by=actor
            )
            after = {"amount": amount, "reason": reason}
        else:
            existing.amount, existing.reason, existing.created_by = amount, reason, actor
            existing.save()
            result = existing
            after = {"amount": amount, "reason": reason}
        before["rule_cap"] = programme.cap_breakdown(municipality, override=None).rule_cap
        audit.record(
            action="cap.override" if amount is not None else "cap.override_cleared",
            channel=channel,
            actor=actor,
            obj=municipality,
            before=before,
            after=after,
            note=reason,
            municipality=municipality,
        )
    return result


PROGRAMME_AUDITED = [
    "code",
    "title",
    "fund",
    "managing_authority",
    "call_code",
    "call_date",
    "total_budget",
    "cap_rate",
    "cap_rounding_step",
    "cap_floor",
    "cap_census_year",
    "min_projects",
    "max_projects",
    "opens_on",
    "closes_on",
    "review_days",
    "cofinancing_less_developed",
    "cofinancing_transition",
    "response_days",
]


def programme_update(*, programme, actor=None, channel=Channel.CODE, note="", **changes):
    """Change a programme's parameters (the cap rule among them), audited with before/after values:
    every municipality's cap follows from these figures. Programme.clean (run by update_with_audit's
    full_clean) refuses a call that closes before it opens, whatever the caller."""
    return audit.update_with_audit(
        programme,
        PROGRAMME_AUDITED,
        changes,
        action="programme.update",
        actor=actor,
        channel=channel,
        note=note,
    )


def municipality_account_set(*, user, municipality, actor=None, channel=Channel.CODE):
    """Tie a user to one municipality (creating or moving the account): it decides what they see."""
    from grants.models import MunicipalityAccount

    with transaction.atomic():
        account = MunicipalityAccount.objects.select_for_update().filter(user=user).first()
        before = {"municipality": account.municipality_id} if account else {}
        if account is None:
            account = MunicipalityAccount.objects.create(user=user, municipality=municipality)
        elif account.municipality_id != municipality.pk:
            account.municipality = municipality
            account.save()
        else:
            return account
        audit.record(
            action="account.municipality",
            channel=channel,
            actor=actor,
            obj=user,
            before=before,
            after={"municipality": municipality.pk},
            municipality=municipality,
        )
    return account


def user_set_active(*, user, active: bool, actor=None, channel=Channel.CODE, note=""):
    """Activate or deactivate an account. Accounts with history are deactivated, never deleted."""
    from django.contrib.auth import get_user_model

    with transaction.atomic():
        locked = get_user_model().objects.select_for_update().get(pk=user.pk)
        if locked.is_active == active:
            return locked
        locked.is_active = active
        locked.save(update_fields=["is_active"])
        audit.record(
            action="account.activate" if active else "account.deactivate",
            channel=channel,
            actor=actor,
            obj=locked,
            before={"is_active": not active},
            after={"is_active": active},
            note=note,
        )
    user.is_active = active
    return locked


# --- accounts -------------------------------------------------------------------------------------
# Roles are groups (grants.roles), so who joined which group, and who was made staff or superuser, is
# as much a part of history as a change of budget. Django's user admin and password views do the
# editing; these functions are what they call to keep the record. Password hashes are never recorded,
# only that a password was set and by whom. is_active belongs to user_set_active.

ACCOUNT_AUDITED = ["username", "first_name", "last_name", "email", "is_staff", "is_superuser"]


def account_snapshot(user) -> dict:
    """What an account edit can change, as the audit trail keeps it."""
    values = {name: getattr(user, name) for name in ACCOUNT_AUDITED}
    values["groups"] = sorted(user.groups.values_list("name", flat=True))
    values["user_permissions"] = sorted(
        f"{app}.{codename}"
        for app, codename in user.user_permissions.values_list("content_type__app_label", "codename")
    )
    return values


def account_edit_record(*, user, before: dict | None, actor=None, channel=Channel.CODE):
    """Record an edit already saved by a form (with its groups): `before` is account_snapshot taken
    before the save, None for a new account. An edit that changed nothing records nothing."""
    after = account_snapshot(user)
    if before is None:
        return audit.record(action="account.create", channel=channel, actor=actor, obj=user, after=after)
    old, new = audit.changed(before, after)
    if not new:
        return None
    return audit.record(
        action="account.change", channel=channel, actor=actor, obj=user, before=old, after=new
    )


def account_password_set(*, user, actor=None, channel=Channel.CODE):
    """After `user`'s password was set (by an administrator, or by the user: actor == user): revoke the
    API token, which would otherwise outlive the password it was obtained with (a reset after a leak
    must lock the leaked credentials out), and record the fact."""
    from rest_framework.authtoken.models import Token

    with transaction.atomic():
        revoked = Token.objects.filter(user=user).delete()[0]
        note = audit.note_text(gettext_lazy("The API token was revoked.")) if revoked else ""
        return audit.record(action="account.password", channel=channel, actor=actor, obj=user, note=note)


def api_token_get_or_create(*, user, channel=Channel.API) -> str:
    """The account's API token, issued (and recorded) when it has none."""
    from rest_framework.authtoken.models import Token

    with transaction.atomic():
        token, created = Token.objects.get_or_create(user=user)
        if created:
            audit.record(action="account.token_issue", channel=channel, actor=user, obj=user)
    return token.key


def api_token_revoke(*, user, channel=Channel.API) -> bool:
    from rest_framework.authtoken.models import Token

    with transaction.atomic():
        revoked = Token.objects.filter(user=user).delete()[0] > 0
        if revoked:
            audit.record(action="account.token_revoke", channel=channel, actor=user, obj=user)
    return revoked


def group_snapshot(group) -> dict:
    """A group (a role) as history keeps it: its name and its permissions by app.codename."""
    return {
        "name": group.name,
        "permissions": sorted(
            f"{app}.{codename}"
            for app, codename in group.permissions.values_list("content_type__app_label", "codename")
        ),
    }


def group_edit_record(*, group, before: dict | None, actor=None, channel=Channel.CODE):
    """Record a group edit already saved by a form (with its permissions); `before` is group_snapshot
    taken before the save, None for a new group. Giving a role a permission is as much history as
    giving a person a role."""
    after = group_snapshot(group)
    if before is None:
        return audit.record(action="group.create", channel=channel, actor=actor, obj=group, after=after)
    old, new = audit.changed(before, after)
    if not new:
        return None
    return audit.record(action="group.change", channel=channel, actor=actor, obj=group, before=old, after=new)


def group_delete(*, group, actor=None, channel=Channel.CODE):
    with transaction.atomic():
        audit.record(
            action="group.delete", channel=channel, actor=actor, obj=group, before=group_snapshot(group)
        )
        group.delete()


def account_has_history(user) -> bool:
    """Whether `user` has acted: their events name them (AuditEvent.actor is PROTECT)."""
    from grants.models import AuditEvent

    return AuditEvent.objects.filter(actor=user).exists()


def account_delete(*, user, actor=None, channel=Channel.CODE):
    """Delete an account that has never acted; one with history must be deactivated instead, so that
    the trail keeps pointing at a real account."""
    with transaction.atomic():
        if account_has_history(user):
            raise ValidationError(_("%(user)s has history: deactivate the account instead.") % {"user": user})
        audit.record(
            action="account.delete", channel=channel, actor=actor, obj=user, before=account_snapshot(user)
        )
        user.delete()
