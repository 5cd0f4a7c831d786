"""The four role groups and their model permissions, recreated after every migrate (and every test
flush), so a fresh database always has working roles without a manual step."""

from django.contrib.auth.models import Group, Permission

from grants import roles

EDITABLE = {
    "grants": [
        "municipality",
        "programme",
        "application",
        "capoverride",
        "municipalityaccount",
        "documenttype",
        "checklistcriterion",
    ],
    "projects": ["category", "catalogueproject", "selection"],
}
READ_ONLY = {"grants": ["region", "regionalunit", "auditevent", "checklistanswer", "amendment"]}


def _perms(models_by_app, actions):
    codenames = [f"{a}_{m}" for models in models_by_app.values() for m in models for a in actions]
    return Permission.objects.filter(content_type__app_label__in=list(models_by_app), codename__in=codenames)


def ensure_role_groups(**kwargs):
    staff_view = list(_perms(EDITABLE, ["view"])) + list(_perms(READ_ONLY, ["view"]))
    staff_edit = list(_perms(EDITABLE, ["add", "change"]))
    user_view = list(Permission.objects.filter(codename="view_user"))
    for name, perms in {
        roles.OFFICERS: staff_view + staff_edit + user_view,
        roles.APPROVERS: staff_view + staff_edit + user_view,
        roles.AUDITORS: staff_view + user_view,
        roles.MUNICIPALITIES: [],
    }.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(perms)
