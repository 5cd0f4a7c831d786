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


@require_POST
@municipality_required
def notification_read(request, pk):
    return inbox_pages.mark_read(request, pk, default=reverse("portal:inbox"))


@require_POST
@municipality_required
def notifications_read_all(request):
    return inbox_pages.mark_all_read(request, default=reverse("portal:inbox"))


@require_http_methods(["GET", "POST"])
@municipality_required
def preferences(request):
    form, saved = inbox_pages.preferences_page(request, channel=Channel.PORTAL)
    if saved:
        return redirect("portal:preferences")
    return render(
        request, "portal/preferences.html", {"form": form, "mandatory": inbox_pages.mandatory_labels()}
    )
