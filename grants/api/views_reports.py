"""Aggregates over the scoped, filtered querysets: a municipality's report counts only its own rows."""

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import generics

from grants import selectors
from grants.filters import ApplicationFilterSet, SelectionFilterSet

from . import reports
from . import serializers as s
from .views import ApiView


class AggregateView(ApiView, generics.ListAPIView):
    # Rows are computed by the aggregate, so only the shared FilterSet applies, not `ordering`.
    filter_backends = [DjangoFilterBackend]
    aggregate = None
    rows = None

    def list(self, request, *args, **kwargs):
        grouped = type(self).aggregate(self.filter_queryset(self.get_queryset()))
        page = self.paginate_queryset(grouped)
        return self.get_paginated_response(self.get_serializer(list(type(self).rows(page)), many=True).data)


class PopularityView(AggregateView):
    """Catalogue projects by how many applications chose them, with the amounts."""

    serializer_class = s.PopularityRowSerializer
    filterset_class = SelectionFilterSet
    aggregate = reports.project_popularity
    rows = reports.popularity_rows

    def get_queryset(self):
        return selectors.selections_for(self.request.user)


class BudgetsView(AggregateView):
    """Applications and budgets per region, with the included share."""

    serializer_class = s.BudgetRowSerializer
    filterset_class = ApplicationFilterSet
    aggregate = reports.budgets_by_region
    rows = reports.budget_rows

    def get_queryset(self):
        return selectors.applications_for(self.request.user)
