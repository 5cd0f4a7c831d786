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
from grants.filters import ApplicationFilterSet, MunicipalityFilterSet
from grants.models import Municipality
from grants.text import search_q
from projects.models import CatalogueProject

LIMIT = 20
TRACKING = re.compile(r"^SC-(\d+)-(\d+)$", re.IGNORECASE)


def _applications(user, term):
    apps = selectors.applications_for(user).select_related("municipality", "programme")
    tracking = TRACKING.match(term.strip())
    if tracking:
        return list(apps.filter(programme_id=int(tracking[1]), pk=int(tracking[2]))[:LIMIT])
    # ApplicationFilterSet's rule, in two parts: the municipality's name or code, the application's codes.
    exact = ApplicationFilterSet.exact_search_fields
    via_municipality = tuple(f for f in exact if f.startswith("municipality__"))
    by_municipality = search_q(term, ApplicationFilterSet.folded_search_fields, via_municipality)
    if by_municipality is None:
        return []
    by_code = search_q(term, (), tuple(f for f in exact if f not in via_municipality))
    # Two queries, merged: one OR across the join made PostgreSQL read every application and sort
    # the matches; apart, the first walks the municipalities' name index until it has LIMIT.
    first = list(apps.filter(by_municipality).order_by("municipality__name", "pk")[:LIMIT])
    seen = {a.pk for a in first}
    coded = [a for a in apps.filter(by_code).order_by("municipality__name", "pk")[:LIMIT] if a.pk not in seen]
    return sorted(first + coded, key=lambda a: (a.municipality.name, a.pk))[:LIMIT]


def _municipalities(term):
    condition = search_q(
        term, MunicipalityFilterSet.folded_search_fields, MunicipalityFilterSet.exact_search_fields
    )
    if condition is None:
        return []
    return list(Municipality.objects.filter(condition).order_by("name")[:LIMIT])


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
