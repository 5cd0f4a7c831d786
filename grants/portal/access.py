"""Who may use the portal, and the scoped lookups every portal view starts from.

Municipality accounts only. Officers, approvers and auditors are redirected to the admin (their
screen, where the same scoping selector applies); a signed-in user with neither role gets 403.
Objects are looked up through grants.selectors, so another municipality's object is a 404 — the
portal never confirms that it exists."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect

from grants import roles, selectors


def municipality_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if roles.is_staff_role(user):
            return redirect("admin:index")
        municipality = roles.municipality_of(user)
        if municipality is None:
            raise PermissionDenied("Not a municipality account.")
        request.municipality = municipality
        return view(request, *args, **kwargs)

    return wrapper


def own_application(request, pk):
    return get_object_or_404(selectors.applications_for(request.user), pk=pk)


def own_selection(request, pk):
    return get_object_or_404(selectors.selections_for(request.user), pk=pk)
