"""The unread badge of the portal's and the admin's header: one COUNT on the partial index of
unread notifications, only on pages that draw the header."""

from django import template

from grants import inbox as inbox_service

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    request = context.get("request")
    if request is None:
        return 0
    cached = getattr(request, "_unread_notifications", None)
    if cached is None:
        cached = request._unread_notifications = inbox_service.unread_count(request.user)
    return cached
