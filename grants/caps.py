"""The cap check and the programme's committed total, each in one function.

The cap itself is computed by `Programme.cap_for`; here is the one comparison with it that the
selection services, the submission, the officers' and approvers' budgets, the published decisions
(as a warning) and the portal's bar all make, and the one definition of what a programme has
committed (the budgets of its included applications) that the inclusion guard, the batch import, the
admin's totals, the reports and the API add up."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grants import audit
from grants.formatting import format_eur
from grants.models import Application, ApplicationStatus
from grants.models.programme import MONEY

ZERO = Decimal("0.00")


# --- the cap ------------------------------------------------------------------------------------


def cap_excess(amount: Decimal, cap: Decimal) -> Decimal:
    """How far `amount` is over `cap`, zero when within it: an amount equal to the cap is within."""
    return max(amount - cap, ZERO)


def check_cap(
    amount: Decimal, cap: Decimal, *, previous=None, field=None, what="total", error=ValidationError
):
    """Refuse `amount` (an application's `what`: its "total" of selections or its "budget") over `cap`,
    raising `error`, keyed by `field` when given. With `previous` (the amount before this change), a
    total already over the cap (the cap was lowered by an override after the selections were made)
    may still go down or stay: refusing those would stop the clerk from correcting a text or moving
    towards the cap."""
    if previous is not None and amount <= previous:
        return
    excess = cap_excess(amount, cap)
    if not excess:
        return
    values = {"total": format_eur(amount), "cap": format_eur(cap), "excess": format_eur(excess)}
    if what == "budget":
        message = _("The budget %(total)s exceeds the cap %(cap)s by %(excess)s.") % values
    else:
        message = _("The total %(total)s exceeds the cap %(cap)s by %(excess)s.") % values
    raise error({field: message} if field else message)


def cap_warning(budget: Decimal, cap: Decimal) -> str:
    """check_cap's rule said as a warning (a published decision is recorded anyway); lazy, so that it
    is shown in the reader's language and recorded in the audit note in the site's."""
    excess = cap_excess(budget, cap)
    if not excess:
        return ""
    return audit.lazy_text(
        gettext_lazy("Budget %(b)s exceeds the cap %(c)s by %(x)s."),
        {"b": format_eur(budget), "c": format_eur(cap), "x": format_eur(excess)},
    )


# --- the programme's committed total -----------------------------------------------------------

# A completed operation keeps its funding: it stays in the committed total (and budgets reports).
COMMITTED_STATUSES = (ApplicationStatus.INCLUDED, ApplicationStatus.COMPLETED)


def committed_sum(prefix: str = ""):
    """The committed total as an aggregate expression (zero when nothing is committed): the budgets
    of the included and completed applications.
    `prefix` reaches the application through a relation ("x__")."""
    return Coalesce(
        Sum(f"{prefix}budget", filter=Q(**{f"{prefix}status__in": COMMITTED_STATUSES})),
        Value(ZERO),
        output_field=DecimalField(**MONEY),
    )


def committed_total(applications: QuerySet) -> Decimal:
    """What `applications` (already scoped and filtered by the caller) commit."""
    return applications.order_by().aggregate(s=committed_sum())["s"]


def programme_committed(programme_id, *, excluding=None) -> Decimal:
    """The programme's committed total, all municipalities, less the application `excluding` (its own
    budget is what an inclusion is about to change)."""
    applications = Application.objects.filter(programme_id=programme_id)
    if excluding is not None:
        applications = applications.exclude(pk=excluding)
    return committed_total(applications)


def over_programme_total(committed: Decimal, total: Decimal) -> str:
    """Why `committed` cannot be committed under the programme's `total`, or "" when it can. Lazy:
    said as a refusal in the reader's language, or as a warning in the audit note."""
    if committed <= total:
        return ""
    return audit.lazy_text(
        gettext_lazy("Including it would commit %(c)s, over the programme's total %(t)s by %(x)s."),
        {"c": format_eur(committed), "t": format_eur(total), "x": format_eur(committed - total)},
    )
