"""Report pages, downloads and the dashboard. Read-only (GET only), for officers, approvers and
auditors; municipality accounts get 403 and anonymous users the login page. Every download writes
an AuditEvent once it is built (streamed ones: before their first byte leaves)."""

import datetime
import functools
import html
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from grants import caps, roles, search, selectors
from grants.delivery import absorption
from grants.exports import services as exports
from grants.formatting import EXCEL_EL, format_date, format_eur, format_int, format_percent
from grants.models import ApplicationStatus, ApplicationSummary, Channel, Programme

from . import charts, exporting, filter_labels, filter_widgets, formats
from .definitions import REPORTS

HTML_ROWS = 500


def reports_access(view):
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not roles.is_staff_role(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return require_GET(wrapped)


def _report(name):
    try:
        return REPORTS[name]()
    except KeyError:
        raise Http404(name) from None


def _filter_params(params) -> dict:
    return {k: v for k in params for v in [params.getlist(k)] if any(x != "" for x in v)}


@reports_access
def dashboard(request):
    apps = selectors.applications_for(request.user)
    # Every application (staff): the application summary the database keeps (a few thousand rows)
    # counts them and sums their budgets per region, instead of 100,000 applications joined to
    # their regions; a municipality's own are counted.
    summary = ApplicationSummary.objects.filter(applications__gt=0) if absorption.whole(apps) else None
    if summary is not None:
        by_status = dict(summary.order_by().values_list("status").annotate(n=Sum("applications")))
    else:
        by_status = dict(apps.order_by().values_list("status").annotate(n=Count("pk")))
    funnel = [
        (str(label), by_status.get(value, 0), format_int(by_status.get(value, 0)))
        for value, label in ApplicationStatus.choices
    ]

    popularity_report = REPORTS["popularity"]()
    # Through its FilterSet, unfiltered: the report then reads the database's selection summary. Its
    # applicants are the funnel's applications (the same scope, unfiltered), counted once.
    applicants, listed, _amount = popularity_report.projects(
        popularity_report.filterset(request.user, {}).qs, applicants=sum(by_status.values())
    )
    # The whole title: the chart wraps it at a word, the table beside it prints it in full.
    popularity = [
        (f"{p.code} {p.title_el}", n, f"{format_int(n)} ({format_percent(share)})")
        for p, n, share, _total in listed[:10]
    ]

    included = apps.filter(status__in=caps.COMMITTED_STATUSES)
    if summary is not None:
        region_sums = (
            summary.filter(status__in=caps.COMMITTED_STATUSES)
            .order_by()
            .values_list("regional_unit__region__name")
            .annotate(s=Sum("budget"))
            .order_by("-s")
        )
    else:
        region_sums = (
            included.order_by()
            .values_list("municipality__regional_unit__region__name")
            .annotate(s=caps.committed_sum())
            .order_by("-s")
        )
    regions = [(name, s or 0, format_eur(s or 0)) for name, s in region_sums]

    per_day = (
        included.order_by()
        .exclude(inclusion_date=None)
        .values_list("inclusion_date")
        .annotate(s=caps.committed_sum())
    )
    months: dict[datetime.date, Decimal] = {}
    for day, s in per_day:
        key = day.replace(day=1)
        months[key] = months.get(key, Decimal(0)) + (s or 0)
    running, commitment = Decimal(0), []
    for month in sorted(months):
        running += months[month]
        commitment.append((month, running, format_eur(running)))
    ceiling = Programme.objects.aggregate(s=Sum("total_budget"))["s"] or 0
    none_yet = _("Nothing to show yet.")
    flow_chart, flow_table = absorption_chart(apps, none_yet)
    # Each chart with the table of its figures (label, value) beside it, for screen readers and print.
    figures = [
        {
            "title": _("Applications by status"),
            "svg": charts.hbar("funnel", _("Applications by status"), funnel),
            "head": (_("Status"), _("Applications")),
            "rows": [(label, shown) for label, _v, shown in funnel],
        },
        {
            # The share of each popular project is of these (the popularity report's own count).
            "title": "{} ({})".format(
                _("Most chosen catalogue projects"),
                ngettext("of %(n)s applicant", "of %(n)s applicants", applicants)
                % {"n": format_int(applicants)},
            ),
            "svg": charts.hbar(
                "popularity",
                _("Most chosen catalogue projects"),
                popularity,
                desc="" if popularity else none_yet,
            ),
            "head": (_("Catalogue project"), _("Applications choosing it")),
            "rows": [(label, shown) for label, _v, shown in popularity],
        },
        {
            "title": _("Included budget by region"),
            "svg": charts.hbar(
                "regions", _("Included budget by region"), regions, desc="" if regions else none_yet
            ),
            "head": (_("Region"), _("Included budget")),
            "rows": [(label, shown) for label, _v, shown in regions],
        },
        {
            "title": _("Committed budget over time"),
            "svg": charts.line(
                "commitment",
                _("Committed budget over time"),
                commitment,
                ceiling=ceiling,
                ceiling_label=_("Total %(t)s") % {"t": format_eur(ceiling)},
                desc="" if commitment else none_yet,
            ),
            "head": (_("Month"), _("Committed by the end of the month")),
            "rows": [(format_date(month)[3:], shown) for month, _v, shown in commitment],
        },
    ]
    context = {
        "reports": [REPORTS[n]() for n in REPORTS],
        "figures": figures,
        "applicants": applicants,
        "absorption": flow_chart,
        "absorption_table": flow_table,
    }
    return render(request, "reports/dashboard.html", context)


def absorption_chart(apps, none_yet):
    """Contracted, declared, verified and paid over time (grants.delivery.absorption.timeline), as a
    chart and as the table of the same figures beside it, for those who do not read charts."""
    from grants.delivery import absorption

    from .absorption_report import FIGURE_LABELS

    months = absorption.timeline(apps)
    labels = [month.strftime("%m/%Y") for month, _ in months]
    series = []
    for figure in absorption.FLOW:
        values = [running[figure] for _, running in months]
        series.append((str(FIGURE_LABELS[figure]), values, format_eur(values[-1]) if values else ""))
    chart = charts.lines(
        "absorption", _("Absorption over time"), labels, series, desc="" if months else none_yet
    )
    table = {
        "headers": [str(FIGURE_LABELS[f]) for f in absorption.FLOW],
        "rows": [
            (label, [format_eur(r[f]) for f in absorption.FLOW])
            for label, (_, r) in zip(labels, months, strict=True)
        ],
    }
    return chart, table


@reports_access
def search_page(request):
    """The staff's search across the system (grants.search), from the admin's header and the reports'."""
    term = request.GET.get("q", "").strip()[:200]
    groups = search.search(request.user, term)
    return render(
        request,
        "reports/search.html",
        {"term": term, "groups": groups, "reports": [REPORTS[n]() for n in REPORTS]},
    )


@reports_access
def report_page(request, name):
    report = _report(name)
    fs = filter_widgets.as_selects(report.filterset(request.user, request.GET))
    valid = fs.is_valid()
    qs = fs.qs if valid else fs.queryset.none()
    columns = report.page_columns()
    kinds = [c.kind for c in columns]
    numeric = [k in (formats.MONEY, formats.INT, formats.PERCENT) for k in kinds]
    rows = [
        [(formats.display_value(k, v), n) for k, v, n in zip(kinds, row, numeric, strict=True)]
        for row in report.page_rows(qs, limit=HTML_ROWS)
    ]
    rows_html = _rows_html(rows)
    count, estimated = report.page_count(qs)
    query = urlencode(_filter_params(request.GET), doseq=True)
    shown = report.display_totals(report.totals(qs))
    context = {
        "report": report,
        "filterset": fs,
        "columns": columns,
        "headings": list(zip(columns, numeric, strict=True)),
        "rows": rows,
        "rows_html": rows_html,
        "count": count,
        "count_estimated": estimated,
        "truncated": count > len(rows),
        "totals": list(zip([shown.get(c.key, "") for c in columns], numeric, strict=True)),
        "summary": report.summary(qs, fs) if valid else [],
        "downloads": _downloads(request, report, query),
        "reports": [REPORTS[n]() for n in REPORTS],
    }
    return render(request, "reports/report.html", context, status=200 if valid else 400)


def _cell(text: str) -> str:
    """A cell's text as the template's `linebreaksbr` writes it (escaped, line ends as <br>)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = html.escape(text)
    return text.replace("\n", "<br>") if "\n" in text else text


def _rows_html(rows) -> str:
    """The table's rows as HTML in one pass with the standard library's escape (Django's escape and
    linebreaksbr, called per cell, took 0.1 ms each: most of a 500-row page's time)."""
    return mark_safe(
        "\n".join(
            "<tr>"
            + "".join(f'<td class="num">{_cell(v)}</td>' if n else f"<td>{_cell(v)}</td>" for v, n in row)
            + "</tr>"
            for row in rows
        )
    )


def _downloads(request, report, query) -> list[tuple[str, str]]:
    """(label, URL) of each download of what the page shows; beside the CSV for machines, the same
    CSV for Excel in a Greek locale (`?dialect=excel-el`)."""
    base = request.path.rstrip("/")
    out = []
    for fmt in report.formats:
        out.append((fmt.upper(), f"{base}.{fmt}" + (f"?{query}" if query else "")))
        if fmt == "csv":
            excel = f"{query}&dialect={EXCEL_EL}" if query else f"dialect={EXCEL_EL}"
            out.append((_("CSV for Excel (Greek)"), f"{base}.csv?{excel}"))
    return out


@reports_access
def report_download(request, name, fmt):
    report = _report(name)
    if fmt not in report.formats:
        raise Http404(fmt)
    dialect = request.GET.get("dialect", "")
    if dialect not in ("", EXCEL_EL) or (dialect and fmt != "csv"):
        return HttpResponseBadRequest(
            _("Unknown dialect «%(d)s»: the CSV downloads know «%(ok)s».") % {"d": dialect, "ok": EXCEL_EL}
        )
    fs = report.filterset(request.user, request.GET)
    if not fs.is_valid():
        # A silently ignored filter would export more than the auditor asked for.
        return HttpResponseBadRequest(fs.errors.as_text())
    filters = _filter_params(request.GET)
    return _export(request, report, fmt, fs, filters, filter_labels.applied(fs), may_defer=True)


def export_queryset_response(request, report_name, fmt, queryset):
    """ "Export what I see" for the admin: `queryset` is the changelist's filtered queryset (of
    Application for operations/inclusions/open-data/popularity/budgets, of Municipality for caps).
    It is intersected with the user's scope and the report's own base, so it can never widen them."""
    if not request.user.is_authenticated or not roles.is_staff_role(request.user):
        raise PermissionDenied
    report = _report(report_name)
    if fmt not in report.formats:
        raise Http404(fmt)
    base = report.scoped(request.user).filter(pk__in=queryset.values("pk"))
    fs = report.filterset(request.user, {}, base=base)
    filters = {"admin": [request.GET.urlencode()]} if request.GET else {}
    return _export(request, report, fmt, fs, filters, filter_labels.admin(queryset.model, request.GET))


def _export(request, report, fmt, fs, filters: dict, shown_filters, *, may_defer=False):
    qs = fs.qs
    counted = functools.cache(lambda: report.count(qs))  # counted once, if at all
    if may_defer and exports.goes_to_worker(counted):
        # Too big for a request: the worker builds it as this user, and «My exports» offers it.
        job = exports.export_job_create(
            owner=request.user, report=report.name, fmt=fmt, filters=filters, channel=Channel.ADMIN
        )
        return render(request, "exports/preparing.html", {"job": job, "report": report}, status=202)
    count = counted()
    response = _export_response(report, fmt, fs, qs, count, shown_filters, filters)
    # Recorded once the response exists: an XLSX or PDF that failed to build is never recorded as
    # exported. CSV, TXT and JSON are generated lazily while they are sent, so for them this is
    # before their first byte: a download cut short is still recorded, never one that went unrecorded.
    exporting.record(
        actor=request.user,
        channel=Channel.ADMIN,
        report=report,
        fmt=fmt,
        filters=filters,
        rows=exporting.rows_written(report, fmt, count),
    )
    return response


def _export_response(report, fmt, fs, qs, count, shown_filters, filters):
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"{report.name}-{stamp}.{fmt}"
    dialect = (filters.get("dialect") or [None])[0]
    content = exporting.body(report, fmt, fs, qs, count, shown_filters, dialect=dialect)
    content_type = exporting.CONTENT_TYPES[fmt]
    if fmt == "xlsx":
        return FileResponse(content, as_attachment=True, filename=filename, content_type=content_type)
    if fmt == "pdf":
        response = HttpResponse(content, content_type=content_type)
    else:
        response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
