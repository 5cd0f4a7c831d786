"""Staff's notifications and e-mail preferences in the admin (grants.inbox_pages), at /admin/inbox/
and /admin/preferences/: any staff account (officers, approvers, auditors) reads its own inbox."""

from django.contrib import admin
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from grants import inbox_pages
from grants.models import Channel


def _context(request, title, **extra):
    return {**admin.site.each_context(request), "title": title, **extra}


def notifications_view(request):
    context = inbox_pages.inbox_context(request, staff=True)
    return render(request, "admin/grants/inbox.html", _context(request, _("Notifications"), **context))


@require_POST
def notification_read_view(request, pk):
    return inbox_pages.mark_read(request, pk, default=reverse("admin-inbox"))


@require_POST
def notifications_read_all_view(request):
    return inbox_pages.mark_all_read(request, default=reverse("admin-inbox"))


@require_http_methods(["GET", "POST"])
def preferences_view(request):
    form, saved = inbox_pages.preferences_page(request, channel=Channel.ADMIN, staff=True)
    if saved:
        return redirect("admin-preferences")
    return render(
        request,
        "admin/grants/preferences.html",
        _context(request, _("E-mail preferences"), form=form, mandatory=inbox_pages.mandatory_labels()),
    )


def urls():
    """The URL patterns to add to config/urls.py before admin.site.urls."""
    view = admin.site.admin_view
    return [
        path("admin/inbox/", view(notifications_view), name="admin-inbox"),
        path("admin/inbox/<int:pk>/read/", view(notification_read_view), name="admin-notification-read"),
        path("admin/inbox/read-all/", view(notifications_read_all_view), name="admin-notifications-read-all"),
        path("admin/preferences/", view(preferences_view), name="admin-preferences"),
    ]
