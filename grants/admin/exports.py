"""“Export what I see”: admin actions that hand the selected rows (or, with “select all”, every
filtered row) to the reports' own exporter, so an admin download is the same file, with the same
escaping, scoping and audit record, as the report page's."""

from django.utils.translation import gettext_lazy as _

FORMAT_LABELS = {"csv": "CSV", "xlsx": "XLSX", "pdf": "PDF"}


def export_action(report_name, fmt, label):
    def action(modeladmin, request, queryset):
        from grants.reports.views import export_queryset_response

        return export_queryset_response(request, report_name, fmt, queryset)

    action.__name__ = f"export_{report_name.replace('-', '_')}_{fmt}"
    action.short_description = _("Export %(report)s (%(fmt)s)") % {"report": label, "fmt": FORMAT_LABELS[fmt]}
    # Auditors only view, and exporting is reading: they must have these actions too.
    action.allowed_permissions = ("view",)
    return action


def export_actions(report_name, label, formats=("csv", "xlsx", "pdf")):
    return [export_action(report_name, fmt, label) for fmt in formats]
