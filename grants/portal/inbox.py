"""The municipality's notifications and e-mail preferences in the portal (grants.inbox_pages)."""

from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from grants import inbox_pages
from grants.models import Channel

from .access import municipality_required


@municipality_required
def notifications(request):
    context = inbox_pages.inbox_context(request, staff=False)
    return render(request, "portal/inbox.html", context)


@municipality_required
@require_http_methods(["GET", "POST"])
def notification(request, pk):
    """One of the account's own notifications (anyone else's is a 404); POST marks it read."""
    if request.method == "POST":
        return inbox_pages.mark_read(request, pk, default=reverse("portal:inbox"))
    return render(
        request, "portal/notification.html", inbox_pages.notification_context(request, pk, staff=False)
    )


@municipality_required
@require_POST
def notifications_read_all(request):
    return inbox_pages.mark_all_read(request, default=reverse("portal:inbox"))


@municipality_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    form, saved = inbox_pages.preferences_page(request, channel=Channel.PORTAL, staff=False)
    if saved:
        return redirect("portal:preferences")
    return render(
        request, "portal/preferences.html", {"form": form, "mandatory": inbox_pages.mandatory_labels()}
    )
