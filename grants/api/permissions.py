"""Who may call what. These decide only the role; *which* objects a user reaches is decided by the
scoped querysets of grants.selectors (another municipality's object is a 404, not a 403), and
whether a change is allowed now is decided by the services and the workflow (409)."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from grants import roles


def may_write_applications(user) -> bool:
    """Municipality accounts, officers and approvers act on applications; auditors only read."""
    return bool(roles.municipality_of(user) or roles.is_officer(user) or roles.is_approver(user))


class ReadAllWriteOfficers(BasePermission):
    """Reference data (catalogue, categories): everyone signed in reads, officers write."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return roles.is_officer(request.user)


class CreateOwnApplication(BasePermission):
    """A municipality account opens its own draft; staff do not create on a municipality's behalf."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return roles.municipality_of(request.user) is not None


class EditSelections(BasePermission):
    """The municipality or an officer edits selections (the same rule as projects.services)."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return bool(roles.municipality_of(request.user) or roles.is_officer(request.user))


class TakeActions(BasePermission):
    """Reading the actions is open to every scoped reader; taking one needs a writing role. The
    workflow then decides whether this role may take this action now (409 with the reason)."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return may_write_applications(request.user)
