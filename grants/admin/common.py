"""Pieces every admin in this package shares: the current programme, folded search, the actor."""

from grants.models import Programme
from grants.text import search_q


def current_programme(request):
    """The programme the screens are about. There is normally exactly one; it is looked up once per
    request so that columns that need it (the cap) do not query per row."""
    if not hasattr(request, "_sc_programme"):
        request._sc_programme = Programme.objects.order_by("pk").first()
    return request._sc_programme


class FoldedSearchMixin:
    """Case- and accent-insensitive search on a stored folded key, by the rule the reports and the
    API use too (grants.text.search_q): «καλαματα» and «Καλαμάτα» both find «ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ».
    Each admin takes its fields from its model's FilterSet, so both search the same fields."""

    # Stored folded keys; every word of the term must match one of them.
    folded_search_fields: tuple[str, ...] = ()
    # Exact matches on codes (ELSTAT code, MIS, ΑΔΑ) typed as they are published.
    exact_search_fields: tuple[str, ...] = ()

    def get_search_results(self, request, queryset, search_term):
        condition = search_q(search_term, self.folded_search_fields, self.exact_search_fields)
        return (queryset if condition is None else queryset.filter(condition)), False


class ReadOnlyAdminMixin:
    """Reference data and records: visible to whoever may view them, changed by nobody here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
