"""Roles are Django groups; a municipality account is a relation (MunicipalityAccount), not a group
check alone, so scoping follows the relation."""

# The roles, spelled once: the transition table (grants.workflow) names who may take each action with
# them, and each person's role is the Django group below. SYSTEM is no person: a command or an import.
MUNICIPALITY, OFFICER, APPROVER, AUDITOR, SYSTEM = "municipality", "officer", "approver", "auditor", "system"
GROUPS = {OFFICER: "officers", APPROVER: "approvers", AUDITOR: "auditors", MUNICIPALITY: "municipalities"}

OFFICERS = GROUPS[OFFICER]
APPROVERS = GROUPS[APPROVER]
AUDITORS = GROUPS[AUDITOR]
MUNICIPALITIES = GROUPS[MUNICIPALITY]
ALL_GROUPS = (OFFICERS, APPROVERS, AUDITORS, MUNICIPALITIES)


def _groups(user) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_role_groups", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._role_groups = cached
    return cached


def is_officer(user) -> bool:
    return bool(user.is_active and (user.is_superuser or OFFICERS in _groups(user)))


def is_approver(user) -> bool:
    return bool(user.is_active and (user.is_superuser or APPROVERS in _groups(user)))


def is_auditor(user) -> bool:
    return bool(user.is_active and AUDITORS in _groups(user))


def is_staff_role(user) -> bool:
    """Officers, approvers and auditors: they see every municipality."""
    return is_officer(user) or is_approver(user) or is_auditor(user)


def municipality_of(user):
    """The municipality a municipality account belongs to, or None."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    account = getattr(user, "municipality_account", None) if _has_account(user) else None
    return account.municipality if account else None


def _has_account(user) -> bool:
    from grants.models import MunicipalityAccount

    try:
        user.municipality_account  # noqa: B018
    except MunicipalityAccount.DoesNotExist:
        return False
    return True


def held_on(application, user) -> set[str]:
    """The roles `user` holds on `application`: its own municipality, officer, approver (several at
    once for an officer-approver); SYSTEM for a command acting with no user. The workflow's transition
    table and the after-inclusion action tables both check their roles against this."""
    if user is None:
        return {SYSTEM}
    found = set()
    own = municipality_of(user)
    if own is not None and own.pk == application.municipality_id:
        found.add(MUNICIPALITY)
    if is_officer(user):
        found.add(OFFICER)
    if is_approver(user):
        found.add(APPROVER)
    return found
