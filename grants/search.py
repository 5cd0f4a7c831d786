"""One search box for staff (the admin's header and the reports'): a term finds municipalities (in any
case, with or without accents: grants.text), applications by ΑΔΑ, MIS code, tracking number or their
municipality, catalogue entries by code or title, and accounts by username; the results grouped by
kind, each read through the user's scope (grants.selectors). Auditors read; municipalities never
reach it (the view refuses them)."""

import re

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grants import roles, selectors
from grants.filters import MunicipalityFilterSet, application_search_q
from grants.models import Municipality
from grants.pagination import by_keys
from grants.text import search_q
from projects.models import CatalogueProject

LIMIT = 20
TRACKING = re.compile(r"^SC-(\d+)-(\d+)$", re.IGNORECASE)


def _applications(user, term):
    apps = selectors.applications_for(user).select_related("municipality", "programme")
    tracking = TRACKING.match(term.strip())
    if tracking:
        return list(apps.filter(programme_id=int(tracking[1]), pk=int(tracking[2]))[:LIMIT])
    condition = application_search_q(term)
    if condition is None:
        return []
    # ApplicationFilterSet's rule; the first LIMIT found by their keys (grants.pagination.by_keys), so
    # that the municipalities are walked in name order on their index until LIMIT match.
    return list(by_keys(apps.filter(condition).order_by("municipality__name", "pk"), 0, LIMIT))


def _municipalities(term):
    condition = search_q(
        term, MunicipalityFilterSet.folded_search_fields, MunicipalityFilterSet.exact_search_fields
    )
    if condition is None:
        return []
    return list(by_keys(Municipality.objects.filter(condition).order_by("name"), 0, LIMIT))


def _catalogue(term):
    condition = search_q(term, ("search_key",), ("code",))
    return (
        list(CatalogueProject.objects.filter(condition).order_by("code")[:LIMIT])
        if condition is not None
        else []
    )


def _users(term):
    term = term.strip()
    if not term:
        return []
    users = get_user_model().objects.filter(
        Q(username__icontains=term) | Q(first_name__icontains=term) | Q(last_name__icontains=term)
    )
    return list(users.order_by("username")[:LIMIT])


def search(user, term: str) -> list[tuple[str, str, list]]:
    """(key, kind's label, objects) for each kind with a match; empty for a user who may not search."""
    if not roles.is_staff_role(user) or not (term or "").strip():
        return []
    groups = [
        ("applications", _("Applications"), _applications(user, term)),
        ("municipalities", _("Municipalities"), _municipalities(term)),
        ("catalogue", _("Catalogue projects"), _catalogue(term)),
    ]
    if roles.is_officer(user) or roles.is_auditor(user) or user.is_superuser:
        groups.append(("users", _("Accounts"), _users(term)))
    return [(key, label, found) for key, label, found in groups if found]
