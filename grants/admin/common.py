"""Pieces every admin in this package shares: the current programme, folded search, the actor."""

from django.db.models import Q

from grants.models import Programme
from grants.text import fold


def current_programme(request):
    """The programme the screens are about. There is normally exactly one; it is looked up once per
    request so that columns that need it (the cap) do not query per row."""
    if not hasattr(request, "_sc_programme"):
        request._sc_programme = Programme.objects.order_by("pk").first()
    return request._sc_programme


class FoldedSearchMixin:
    """Case- and accent-insensitive search on a stored folded key (grants.text.fold), identical on
    SQLite and PostgreSQL: «καλαματα» and «Καλαμάτα» both find «ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ»."""

    # Lookups on the folded key; every word of the term must match one of them.
    folded_search_fields: tuple[str, ...] = ()
    # Exact matches on codes (ELSTAT code, MIS, ΑΔΑ) typed as they are published.
    exact_search_fields: tuple[str, ...] = ()

    def get_search_results(self, request, queryset, search_term):
        term = (search_term or "").strip()
        if not term:
            return queryset, False
        folded = fold(term)
        whole = Q()
        for field in self.folded_search_fields:
            whole |= Q(**{f"{field}__contains": folded})
        for field in self.exact_search_fields:
            whole |= Q(**{f"{field}__iexact": term})
        # Words in any order («καλαματας δημος») match too.
        words = Q()
        for word in folded.split():
            per_word = Q()
            for field in self.folded_search_fields:
                per_word |= Q(**{f"{field}__contains": word})
            words &= per_word
        return queryset.filter(whole | words), False


class ReadOnlyAdminMixin:
    """Reference data and records: visible to whoever may view them, changed by nobody here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
