"""Django's own password views, with the record grants.services keeps of every password set. The
user acts on their own account here, so the actor is the user."""

import logging

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import path, reverse_lazy
from django.utils.translation import gettext as _

from grants import rate_limits, services
from grants.models import Channel

security_log = logging.getLogger("grants.security")


class _Recorded:
    channel = Channel.PORTAL

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            services.account_password_set(user=form.user, actor=form.user, channel=self.channel)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """The reset link points at the public site (SITE_URL), not at whatever host and scheme the
    request came with: a requester could choose the host, and behind a TLS proxy the request is
    plain http, which would send the reset token unencrypted."""

    @property
    def extra_email_context(self):
        return {"site_url": settings.SITE_URL.rstrip("/")}

    def form_valid(self, form):
        """Requests are counted per client address and per e-mail address, whether an account has
        that address or not (the answer must not tell), so that the form cannot be used to flood a
        mailbox or to send mail in bulk. Beyond either limit nothing is sent, and the page says so."""
        email = form.cleaned_data["email"].strip().lower()
        address = get_client_ip_address(self.request) or "unknown"
        window = settings.PASSWORD_RESET_LIMIT_WINDOW
        # Both counted every time: a flood from one address must not spare the mailbox count.
        within_address = rate_limits.hit(
            "password-reset-address", address, limit=settings.PASSWORD_RESET_LIMIT_PER_ADDRESS, window=window
        )
        within_email = rate_limits.hit(
            "password-reset-email", email, limit=settings.PASSWORD_RESET_LIMIT_PER_EMAIL, window=window
        )
        if within_address and within_email:
            return super().form_valid(form)
        security_log.warning(
            "password reset throttled: no e-mail sent (address %s%s%s)",
            address,
            "" if within_address else ", over the limit per address",
            "" if within_email else ", over the limit per e-mail address",
        )
        messages.warning(
            self.request,
            _(
                "Too many requests to reset a password have come from your address or for this e-mail "
                "address: no new link was sent. Use the last link you received, or try again in "
                "%(minutes)d minutes."
            )
            % {"minutes": max(1, window // 60)},
        )
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetConfirmView(_Recorded, auth_views.PasswordResetConfirmView):
    pass


class PasswordChangeView(_Recorded, auth_views.PasswordChangeView):
    pass


class AdminPasswordChangeView(_Recorded, auth_views.PasswordChangeView):
    """The admin's "change password" page, in the admin's frame."""

    channel = Channel.ADMIN
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("admin:password_change_done")

    def get_context_data(self, **kwargs):
        return {**admin.site.each_context(self.request), **super().get_context_data(**kwargs)}


def urls():
    """Placed before django.contrib.auth.urls and admin.site.urls, which answer the same paths."""
    return [
        path("admin/password_change/", admin.site.admin_view(AdminPasswordChangeView.as_view())),
        path("accounts/password_change/", PasswordChangeView.as_view(), name="password_change"),
        path("accounts/password_reset/", PasswordResetView.as_view(), name="password_reset"),
        path(
            "accounts/reset/<uidb64>/<token>/",
            PasswordResetConfirmView.as_view(),
            name="password_reset_confirm",
        ),
    ]
