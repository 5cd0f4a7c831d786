"""Django's own password views, with the record grants.services keeps of every password set. The
user acts on their own account here, so the actor is the user."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.urls import path, reverse_lazy

from grants import services
from grants.models import Channel


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
