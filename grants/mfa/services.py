"""Second-factor writes and the rule of who needs one. django-otp keeps the devices — a TOTPDevice for
the authenticator app, a StaticDevice holding the recovery codes — and throttles failed attempts on
each device (a delay that doubles with every failure); these functions add the rule, the audit record
and the messages. Keyword-only, each writing its AuditEvent in the same transaction as its change.

A failed verification is recorded and its throttle counted in a transaction that commits: the refusal
is raised only after it, so that a wrong code is never rolled back into a free attempt."""

import math
from base64 import b32encode

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from grants import audit, roles
from grants.models import Channel

DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery codes"


# --- who -----------------------------------------------------------------------------------------


def is_staff_account(user) -> bool:
    """Officers, approvers, auditors, superusers and anyone who can enter the admin."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser or user.is_staff or roles.is_staff_role(user))


def mfa_forced(user) -> bool:
    """Whether `user` must pass a second factor: staff, while MFA_REQUIRED is on. Other accounts
    (municipalities) may enrol."""
    return bool(settings.MFA_REQUIRED) and is_staff_account(user)


def mfa_enrolled(user) -> bool:
    """Whether `user` has an authenticator app set up (and so must use it, forced or not)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def mfa_needed(user) -> bool:
    """Whether signing in as `user` takes a one-time code, on a page or for an API token."""
    return mfa_forced(user) or mfa_enrolled(user)


# --- reading codes ------------------------------------------------------------------------------


def normalise_code(code: str) -> str:
    """What people type, as stored: codes are shown grouped («123 456», «abcd-ef23») and are read
    aloud or copied with spaces; recovery codes are lower case."""
    return "".join(ch for ch in (code or "") if ch not in " -\t").lower()


def looks_like_totp(code: str) -> bool:
    return code.isdigit() and len(code) == 6


def recovery_code_display(token: str) -> str:
    return f"{token[:4]}-{token[4:]}"


def secret_display(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing it into the app by hand."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def _throttled(device):
    """The refusal to say while `device` is throttled after failures, or None."""
    allowed, info = device.verify_is_allowed()
    if allowed:
        return None
    until = (info or {}).get("locked_until")
    seconds = max(1, math.ceil((until - timezone.now()).total_seconds())) if until else 1
    return ngettext(
        "Too many wrong codes: wait %(n)d second and try again.",
        "Too many wrong codes: wait %(n)d seconds and try again.",
        seconds,
    ) % {"n": seconds}


def _verify(device, code: str, *, user, channel, step: str):
    """Check `code` on `device` under a row lock; records a wrong code. Returns the refusal or None."""
    with transaction.atomic():
        device = type(device).objects.select_for_update().get(pk=device.pk)
        refusal = _throttled(device)
        if refusal:
            return refusal, device
        if device.verify_token(code):
            return None, device
        audit.record(
            action="account.mfa_failed",
            channel=channel,
            actor=user,
            obj=user,
            after={"step": step, "failures": device.throttling_failure_count},
        )
    if step == "recovery":
        return _("This recovery code is not valid or was already used."), device
    return _("This code is not valid. Check the time on your phone and type the current code."), device


# --- writes ---------------------------------------------------------------------------------------


def mfa_device_pending(*, user, device_id=None) -> TOTPDevice:
    """The authenticator device being set up in one session (`device_id`, kept by the caller in that
    session): the same secret across reloads of the enrolment page, unconfirmed until a code from the
    app proves the app holds it. Another session gets a secret of its own, so that a secret read by
    someone else who has the password (a screen left open, a shared account) never becomes the one
    the owner confirms."""
    device = None
    if device_id is not None:
        device = TOTPDevice.objects.filter(user=user, confirmed=False, pk=device_id).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def _recovery_codes_replace(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    tokens = set()
    while len(tokens) < settings.MFA_RECOVERY_CODES:
        tokens.add(StaticToken.random_token())
    StaticToken.objects.bulk_create(StaticToken(device=device, token=t) for t in sorted(tokens))
    return [recovery_code_display(t) for t in sorted(tokens)]


def mfa_enrol(*, user, device_id, code: str, channel=Channel.PORTAL) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending authenticator `device_id` (this session's) with a `code` it shows, and issue
    the recovery codes. Returns the device (to mark the session verified) and the codes, which are
    shown once and never again."""
    code = normalise_code(code)
    pending = TOTPDevice.objects.filter(user=user, confirmed=False, pk=device_id).first()
    if mfa_enrolled(user) or pending is None:
        raise ValidationError(
            _("Two-step verification is already set up for this account, or its set-up expired: reload."),
            code="stale",
        )
    if not looks_like_totp(code):
        raise ValidationError(_("Type the 6-digit code that the app shows."), code="format")
    refusal, device = _verify(pending, code, user=user, channel=channel, step="enrol")
    if refusal:
        raise ValidationError(refusal, code="invalid")
    from rest_framework.authtoken.models import Token

    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        codes = _recovery_codes_replace(user)
        # A staff token from before was obtained with a password alone; from now on one takes a code.
        revoked = is_staff_account(user) and Token.objects.filter(user=user).delete()[0]
        audit.record(
            action="account.mfa_enrol",
            channel=channel,
            actor=user,
            obj=user,
            after={"mfa": True, "recovery_codes": len(codes)},
            note=audit.note_text(gettext_lazy("The API token was revoked.")) if revoked else "",
        )
    return device, codes


def mfa_verify(*, user, code: str, channel=Channel.PORTAL):
    """The device that accepts `code` — the app's 6 digits or an unused recovery code, which is then
    spent — or a ValidationError saying why not (wrong, throttled, not set up)."""
    code = normalise_code(code)
    if not code:
        raise ValidationError(
            _("Type the code from your authenticator app or a recovery code."), code="required"
        )
    if looks_like_totp(code):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        step = "verify"
    else:
        device = StaticDevice.objects.filter(user=user, confirmed=True).first()
        step = "recovery"
    if device is None:
        raise ValidationError(
            _("Two-step verification is not set up for this account.")
            if not mfa_enrolled(user)
            else _("This code is not valid. Check the time on your phone and type the current code."),
            code="invalid",
        )
    refusal, device = _verify(device, code, user=user, channel=channel, step=step)
    if refusal:
        raise ValidationError(refusal, code="invalid")
    if step == "recovery":
        left = device.token_set.count()
        audit.record(
            action="account.mfa_recovery_used",
            channel=channel,
            actor=user,
            obj=user,
            after={"recovery_codes_left": left},
        )
    return device


def mfa_recovery_codes_left(*, user) -> int:
    device = StaticDevice.objects.filter(user=user).first()
    return device.token_set.count() if device else 0


def mfa_recovery_codes_regenerate(*, user, channel=Channel.PORTAL) -> list[str]:
    """New recovery codes for an enrolled account; the old ones stop working."""
    with transaction.atomic():
        if not mfa_enrolled(user):
            raise ValidationError(_("Two-step verification is not set up for this account."), code="invalid")
        before = mfa_recovery_codes_left(user=user)
        codes = _recovery_codes_replace(user)
        audit.record(
            action="account.mfa_recovery_regenerate",
            channel=channel,
            actor=user,
            obj=user,
            before={"recovery_codes": before},
            after={"recovery_codes": len(codes)},
        )
    return codes


def may_reset(*, actor, user) -> bool:
    return bool(actor.is_superuser or not user.is_superuser)


def mfa_reset(*, user, actor, channel=Channel.ADMIN) -> bool:
    """Remove `user`'s authenticator and recovery codes (a lost phone): their sessions are no longer
    verified, staff must enrol again at their next request, and the API token obtained with the old
    device is revoked. Returns whether there was anything to reset. Only a superuser resets a
    superuser's: anyone holding that password could otherwise enrol their own phone as the superuser."""
    from rest_framework.authtoken.models import Token

    if not may_reset(actor=actor, user=user):
        raise PermissionDenied(_("Only a superuser may reset a superuser's two-step verification."))
    with transaction.atomic():
        devices = TOTPDevice.objects.filter(user=user)
        had = devices.filter(confirmed=True).exists() or StaticDevice.objects.filter(user=user).exists()
        devices.delete()
        StaticDevice.objects.filter(user=user).delete()
        if not had:
            return False
        revoked = Token.objects.filter(user=user).delete()[0]
        audit.record(
            action="account.mfa_reset",
            channel=channel,
            actor=actor,
            obj=user,
            before={"mfa": True},
            after={"mfa": False},
            note=audit.note_text(gettext_lazy("The API token was revoked.")) if revoked else "",
        )
    return True
