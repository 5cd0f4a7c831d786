"""«My exports»: a user's own export jobs and their downloads. Staff and municipality accounts
alike; a job is its owner's alone, so anyone else's job is a 404, staff included."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from grants import roles
from grants.models import Channel, ExportJob
from grants.reports.exporting import CONTENT_TYPES

from . import services

# Seconds between reloads of «My exports» while a job is being prepared (a meta refresh: no script).
REFRESH_SECONDS = 5


def exports_access(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (roles.is_staff_role(user) or roles.municipality_of(user)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return require_GET(wrapped)


def base_template(user) -> str:
    """The frame the user works in: the reports' for staff, the portal's for municipalities."""
    return "reports/base.html" if roles.is_staff_role(user) else "portal/base.html"


@exports_access
def my_exports(request):
    from grants.reports.definitions import REPORTS

    # The portal's menu is shown to a municipality account (grants.portal.access sets the same).
    request.municipality = roles.municipality_of(request.user)
    jobs = list(services.jobs_of(request.user))
    for job in jobs:
        spec = REPORTS.get(job.report)
        job.title = spec.title if spec else job.report
    return render(
        request,
        "exports/list.html",
        {
            "base_template": base_template(request.user),
            "jobs": jobs,
            "refresh": REFRESH_SECONDS if any(j.in_progress for j in jobs) else None,
        },
    )


def file_response(job, handle):
    return FileResponse(
        handle, as_attachment=True, filename=job.filename, content_type=CONTENT_TYPES.get(job.format)
    )


@exports_access
def download(request, pk):
    try:
        job = services.downloadable(request.user, pk)
    except ExportJob.DoesNotExist:
        raise Http404 from None
    channel = Channel.ADMIN if roles.is_staff_role(request.user) else Channel.PORTAL
    return file_response(job, services.export_job_download(job=job, actor=request.user, channel=channel))
