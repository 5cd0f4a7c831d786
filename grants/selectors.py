"""Reads, and the one scoping rule: what a user may see. The admin, the portal, the API, the
exports and every aggregate start from these querysets — counts leak data too."""

from django.db.models import QuerySet

from grants import roles
from grants.models import Application, AuditEvent, Municipality
from projects.models import Selection


def _own_municipality_id(user):
    municipality = roles.municipality_of(user)
    return municipality.pk if municipality else None


def municipalities_for(user) -> QuerySet[Municipality]:
    qs = Municipality.objects.select_related("regional_unit__region")
    if roles.is_staff_role(user):
        return qs
    own = _own_municipality_id(user)
    return qs.filter(pk=own) if own else qs.none()


def applications_for(user) -> QuerySet[Application]:
    qs = Application.objects.select_related("programme", "municipality__regional_unit__region")
    if roles.is_staff_role(user):
        return qs
    own = _own_municipality_id(user)
    return qs.filter(municipality_id=own) if own else qs.none()


def selections_for(user) -> QuerySet[Selection]:
    qs = Selection.objects.select_related(
        "project__category", "application__municipality__regional_unit__region", "application__programme"
    )
    if roles.is_staff_role(user):
        return qs
    own = _own_municipality_id(user)
    return qs.filter(application__municipality_id=own) if own else qs.none()


def audit_events_for(user) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.select_related("municipality", "content_type")
    if roles.is_staff_role(user):
        return qs
    own = _own_municipality_id(user)
    # A municipality sees the history of its own application, never other objects' history.
    return qs.filter(municipality_id=own, application__isnull=False) if own else qs.none()
