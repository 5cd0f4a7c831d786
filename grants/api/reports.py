"""Aggregates for the API's reports. They take querysets that are already scoped (grants.selectors)
and filtered (grants.filters), so a municipality's totals can only ever count its own rows.
One GROUP BY query each, whatever the number of rows."""

from decimal import Decimal

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from grants.models import ApplicationStatus
from grants.models.programme import MONEY

ZERO = Value(Decimal("0.00"), output_field=DecimalField(**MONEY))


def project_popularity(selections: QuerySet) -> QuerySet:
    """How many applications chose each catalogue project, and for how much."""
    return (
        selections.order_by()
        .values("project__code", "project__title_el", "project__title_en", "project__category__order")
        .annotate(
            applications=Count("application", distinct=True), total_amount=Coalesce(Sum("amount"), ZERO)
        )
        .order_by("-applications", "project__code")
    )


def budgets_by_region(applications: QuerySet) -> QuerySet:
    """Applications and budgets per region, with the included share."""
    included = Q(status=ApplicationStatus.INCLUDED)
    region = "municipality__regional_unit__region"
    return (
        applications.order_by()
        .values(f"{region}__code", f"{region}__name", f"{region}__category")
        .annotate(
            applications=Count("id"),
            total_budget=Coalesce(Sum("budget"), ZERO),
            included=Count("id", filter=included),
            included_budget=Coalesce(Sum("budget", filter=included), ZERO),
        )
        .order_by(f"{region}__code")
    )


def popularity_rows(rows):
    for row in rows:
        yield {
            "project": row["project__code"],
            "title_el": row["project__title_el"],
            "title_en": row["project__title_en"],
            "category": row["project__category__order"],
            "applications": row["applications"],
            "total_amount": row["total_amount"],
        }


def budget_rows(rows):
    region = "municipality__regional_unit__region"
    for row in rows:
        yield {
            "region": row[f"{region}__code"],
            "region_name": row[f"{region}__name"],
            "region_category": row[f"{region}__category"],
            "applications": row["applications"],
            "total_budget": row["total_budget"],
            "included": row["included"],
            "included_budget": row["included_budget"],
        }
