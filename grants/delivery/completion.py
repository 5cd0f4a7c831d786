"""What completing an operation needs (issue 14): the guards of the workflow's `complete` action
(grants.workflow's transition table), said as reasons so that the admin, the portal and the API show
why the button is not there yet. One place for the rule; the workflow raises them."""

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from grants.models import DeclarationState, ExpenditureDeclaration, ProgressStage, ProjectProgress
from projects.models import Selection


def projects_not_completed(application) -> list[str]:
    """The catalogue codes of the operation's selected projects not yet completed (by code)."""
    completed = ProjectProgress.objects.filter(
        application=application, stage=ProgressStage.COMPLETED
    ).values_list("project_id", flat=True)
    return list(
        Selection.objects.filter(application=application)
        .exclude(project_id__in=completed)
        .order_by("project__code")
        .values_list("project__code", flat=True)
    )


def completion_blockers(application) -> list[str]:
    """Why the operation cannot be completed now, or [] when it can: every selected project completed,
    the final expenditure declaration verified, and no declaration still waiting for verification."""
    reasons = []
    if not Selection.objects.filter(application=application).exists():
        reasons.append(_("The operation has no selected projects to complete."))
    else:
        pending = projects_not_completed(application)
        if pending:
            reasons.append(_("Projects not yet completed: %(codes)s.") % {"codes": ", ".join(pending)})
    counts = ExpenditureDeclaration.objects.filter(application=application).aggregate(
        final_verified=Count("id", filter=Q(is_final=True, state=DeclarationState.VERIFIED)),
        waiting=Count("id", filter=Q(state=DeclarationState.SUBMITTED)),
    )
    if not counts["final_verified"]:
        reasons.append(_("The final expenditure declaration has not been verified."))
    if counts["waiting"]:
        reasons.append(
            _("%(n)d expenditure declarations are still waiting for verification.") % {"n": counts["waiting"]}
        )
    return reasons
