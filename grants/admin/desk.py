"""The admin's home page as a desk: for officers and approvers, the work waiting for them (grants.desk)
with each count linking to the applications list filtered by the same queue; for auditors, a read-only
summary. Django's list of tables stays below it."""

from django.contrib import admin
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from grants import desk, roles


class WorkQueueFilter(admin.SimpleListFilter):
    """The applications list narrowed to one of the desk's queues, by the desk's own rule."""

    title = _("work queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        keys = []
        if roles.is_officer(request.user):
            keys += [*desk.OFFICER_QUEUES, "overdue"]
        if roles.is_approver(request.user):
            keys += list(desk.APPROVER_QUEUES)
        return [(key, desk.QUEUES[key].label) for key in keys]

    def queryset(self, request, queryset):
        value = self.value()
        if value in desk.QUEUES:
            return desk.in_queue(queryset, value, request.user)
        return queryset


def _changelist(**params) -> str:
    return reverse("admin:grants_application_changelist") + "?" + urlencode(params)


def desk_context(request) -> dict:
    found = desk.staff_desk(request.user)
    if found is None:
        return {}
    for queue in found.queues:
        queue.url = _changelist(queue=queue.key)
    links = {"overdue": _changelist(queue="overdue")}
    for budget in found.budgets:
        budget.included_url = _changelist(status__exact="included", programme__id__exact=budget.programme.pk)
        budget.proposed_url = _changelist(
            status__exact="to_be_included", programme__id__exact=budget.programme.pk
        )
    statuses = [
        (value, label, count, _changelist(status__exact=value)) for value, label, count in found.by_status
    ]
    return {"desk": found, "desk_links": links, "desk_statuses": statuses}


def install(site: admin.AdminSite):
    """Give the site's index the desk's context (before its URLs are built, at import)."""
    index = site.index

    def index_with_desk(request, extra_context=None):
        return index(request, {**desk_context(request), **(extra_context or {})})

    site.index = index_with_desk


install(admin.site)
