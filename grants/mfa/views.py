"""The second-factor pages, in the portal's frame like the sign-in page they follow: enrolment (QR code,
the secret in text, a code), verification (a code from the app or a recovery code) and the recovery
codes (shown once when issued; regenerating them is recorded). Never cached: they show secrets."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from grants.models import Channel

from . import services
from .forms import CodeForm
from .qr import qr_svg

CHANNEL = Channel.PORTAL
PENDING_KEY = "mfa_pending_device"


def _next(request) -> str:
    """Where to go once verified: the page asked for, if it is on this site, else the user's home."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("admin:index") if services.is_staff_account(request.user) else settings.LOGIN_REDIRECT_URL


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}"


def _passed(request, device):
    """Mark this session verified by `device`, under a new session key (a privilege change)."""
    otp_login(request, device)
    request.session.cycle_key()


def _show_codes(request, codes, next_url, *, fresh):
    return render(request, "mfa/recovery_codes.html", {"codes": codes, "next": next_url, "fresh": fresh})


@never_cache
@login_required
def setup(request):
    user, next_url = request.user, _next(request)
    if services.mfa_enrolled(user):
        target = "mfa:recovery_codes" if user.is_verified() else "mfa:verify"
        return redirect(_with_next(reverse(target), next_url))
    # The secret shown is this session's own (grants.mfa.services.mfa_device_pending).
    device = services.mfa_device_pending(user=user, device_id=request.session.get(PENDING_KEY))
    request.session[PENDING_KEY] = device.pk
    form = CodeForm(
        request.POST or None,
        label=gettext_lazy("Code from the app"),
        help_text=gettext_lazy("The 6 digits the app shows for this account now."),
        numeric=True,
    )
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = services.mfa_enrol(
                user=user, device_id=device.pk, code=form.cleaned_data["code"], channel=CHANNEL
            )
        except ValidationError as exc:
            form.add_error("code", exc.messages)
        else:
            request.session.pop(PENDING_KEY, None)
            _passed(request, device)
            return _show_codes(request, codes, next_url, fresh=True)
    return render(
        request,
        "mfa/setup.html",
        {
            "form": form,
            "next": next_url,
            "forced": services.mfa_forced(user),
            "qr": qr_svg(device.config_url, label=_("QR code to scan with your authenticator app")),
            "secret": services.secret_display(device),
        },
    )


@never_cache
@login_required
def verify(request):
    user, next_url = request.user, _next(request)
    if user.is_verified():
        return redirect(next_url)
    if not services.mfa_enrolled(user):
        return redirect(_with_next(reverse("mfa:setup"), next_url))
    form = CodeForm(
        request.POST or None,
        label=gettext_lazy("One-time code"),
        help_text=gettext_lazy("The 6 digits your authenticator app shows, or one of your recovery codes."),
    )
    if request.method == "POST" and form.is_valid():
        try:
            device = services.mfa_verify(user=user, code=form.cleaned_data["code"], channel=CHANNEL)
        except ValidationError as exc:
            form.add_error("code", exc.messages)
        else:
            _passed(request, device)
            if isinstance(device, StaticDevice):
                left = services.mfa_recovery_codes_left(user=user)
                messages.warning(
                    request,
                    ngettext(
                        "You used a recovery code: %(n)d is left. "
                        "Make new ones from «Two-step verification».",
                        "You used a recovery code: %(n)d are left. "
                        "Make new ones from «Two-step verification».",
                        left,
                    )
                    % {"n": left},
                )
            return redirect(next_url)
    return render(request, "mfa/verify.html", {"form": form, "next": next_url})


@never_cache
@login_required
def recovery_codes(request):
    user, next_url = request.user, _next(request)
    if not services.mfa_enrolled(user):
        return redirect(_with_next(reverse("mfa:setup"), next_url))
    if not user.is_verified():
        return redirect(_with_next(reverse("mfa:verify"), request.get_full_path()))
    if request.method == "POST":
        codes = services.mfa_recovery_codes_regenerate(user=user, channel=CHANNEL)
        return _show_codes(request, codes, next_url, fresh=False)
    return render(
        request,
        "mfa/recovery_codes.html",
        {"left": services.mfa_recovery_codes_left(user=user), "next": next_url},
    )
