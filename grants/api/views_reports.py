"""The API's reports: the `/reports/` definitions (grants.reports.aggregates) over the scoped
(grants.selectors) and filtered applications, with the API's own field names. The same filters, the
same grouping and the same numbers as the pages and their downloads."""

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import generics

from grants import caps, selectors
from grants.filters import ApplicationFilterSet
from grants.reports.aggregates import REGION, BudgetsReport, PopularityReport, summary_filters

from . import serializers as s
from .views import ApiView


class AggregateView(ApiView, generics.ListAPIView):
    # Rows are computed by the report, so only the report's FilterSet applies, not `ordering`.
    filter_backends = [DjangoFilterBackend]
    filterset_class = ApplicationFilterSet

    def get_queryset(self):
        return selectors.applications_for(self.request.user)

    def rows(self, applications) -> list[dict]:
        raise NotImplementedError

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.rows(self.filter_queryset(self.get_queryset())))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class PopularityView(AggregateView):
    """Catalogue projects by how many of the applications chose them, with the amounts (the
    popularity report: every active project, and any other that was chosen)."""

    serializer_class = s.PopularityRowSerializer

    def rows(self, applications):
        fs = ApplicationFilterSet(self.request.query_params, queryset=self.get_queryset())
        summary = summary_filters(self.request.user, fs)
        _applicants, listed, _amount = PopularityReport().projects(applications, summary=summary)
        return [
            {
                "project": project.code,
                "title_el": project.title_el,
                "title_en": project.title_en,
                "category": project.category.order,
                "applications": n,
                "total_amount": total,
            }
            for project, n, _share, total in listed
        ]


class BudgetsView(AggregateView):
    """Applications and budgets per region, with the included share (the budgets report's groups
    of region and status, added up per region)."""

    serializer_class = s.BudgetRowSerializer

    def rows(self, applications):
        regions = {}
        fs = ApplicationFilterSet(self.request.query_params, queryset=self.get_queryset())
        summary = summary_filters(self.request.user, fs)
        for g in BudgetsReport().groups(applications, summary=summary):
            row = regions.setdefault(
                g[f"{REGION}__code"],
                {
                    "region": g[f"{REGION}__code"],
                    "region_name": g[f"{REGION}__name"],
                    "region_category": g[f"{REGION}__category"],
                    "applications": 0,
                    "total_budget": caps.ZERO,
                    "included": 0,
                    "included_budget": caps.ZERO,
                },
            )
            row["applications"] += g["n"]
            row["total_budget"] += g["total"]
            if g["status"] in caps.COMMITTED_STATUSES:
                row["included"] += g["n"]
                row["included_budget"] += g["total"]
        return [regions[code] for code in sorted(regions)]
