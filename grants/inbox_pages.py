"""The inbox and the e-mail preferences as pages, shared by the portal (municipality accounts) and
the admin (staff): the same list (the FilterSet of the API, a fixed number of queries per page), the
same marking read, the same form. Each interface wraps these in its own access rule and frame."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grants import inbox
from grants.filters import NotificationFilterSet
from grants.models import MANDATORY_EMAIL, Notification, NotificationKind

PER_PAGE = 30


def _target(notification, *, staff: bool) -> str:
    if notification.kind == NotificationKind.EXPORT_READY:
        return reverse("exports:list")
    if notification.application_id is None:
        return ""
    if staff:
        return reverse("admin:grants_application_change", args=[notification.application_id])
    return reverse("portal:application", args=[notification.application_id])


def inbox_context(request, *, staff: bool) -> dict:
    """The page's rows (newest first), each with its text in the reader's language and its link."""
    filterset = NotificationFilterSet(request.GET or None, queryset=inbox.notifications_of(request.user))
    qs = filterset.qs if filterset.is_valid() else filterset.queryset
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        {"n": n, "text": inbox.render(n.kind, n.params), "url": _target(n, staff=staff)}
        for n in page.object_list
    ]
    return {
        "rows": rows,
        "page": page,
        "unread_only": request.GET.get("unread") in ("true", "True", "1"),
        "unread": inbox.unread_count(request.user),
    }


def notification_context(request, pk, *, staff: bool) -> dict:
    try:
        n = inbox.notifications_of(request.user).get(pk=pk)
    except Notification.DoesNotExist:
        raise Http404 from None
    return {"n": n, "text": inbox.render(n.kind, n.params), "url": _target(n, staff=staff)}


def _back(request, default: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def mark_read(request, pk, *, default: str):
    try:
        inbox.notification_read(user=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404 from None
    return redirect(_back(request, default))


def mark_all_read(request, *, default: str):
    count = inbox.notifications_read_all(user=request.user)
    if count:
        messages.success(request, _("All notifications are marked read."))
    return redirect(_back(request, default))


# The optional e-mails each side can receive (the mandatory ones are listed, not offered).
OPTIONAL = {
    False: [
        NotificationKind.MESSAGE,
        NotificationKind.PROPOSED,
        NotificationKind.STATUS,
        NotificationKind.EXPORT_READY,
    ],
    True: [
        NotificationKind.MESSAGE,
        NotificationKind.PROPOSED,
        NotificationKind.OVERDUE,
        NotificationKind.EXPORT_READY,
    ],
}


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(
        label=gettext_lazy("Language of e-mails"),
        choices=settings.LANGUAGES,
        help_text=gettext_lazy("The e-mails sent to you are written in this language."),
    )
    email_on = forms.MultipleChoiceField(
        label=gettext_lazy("E-mails I want to receive"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy("Everything stays in your notifications whatever you choose here."),
    )

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email_on"].choices = [(k.value, k.label) for k in kinds]


def mandatory_labels() -> list:
    return [k.label for k in NotificationKind if k in MANDATORY_EMAIL]


def preferences_page(request, *, channel: str, staff: bool):
    """(form, saved): the preferences form, bound on POST; on a valid POST the preferences are saved.
    Only the kinds this side receives are offered; the choices for the others are kept."""
    prefs = inbox.preferences_of(request.user)
    offered = [k.value for k in OPTIONAL[staff]]
    if request.method == "POST":
        form = PreferencesForm(request.POST, kinds=OPTIONAL[staff])
        if form.is_valid():
            on = set(form.cleaned_data["email_on"])
            kept = [k for k in prefs.email_off if k not in offered]
            inbox.preferences_set(
                user=request.user,
                language=form.cleaned_data["language"],
                email_off=kept + [k for k in offered if k not in on],
                channel=channel,
            )
            messages.success(request, _("Your preferences are saved."))
            return form, True
        return form, False
    initial = {"language": prefs.language, "email_on": [k for k in offered if k not in prefs.email_off]}
    return PreferencesForm(initial=initial, kinds=OPTIONAL[staff]), False
