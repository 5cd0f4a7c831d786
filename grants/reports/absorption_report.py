"""The absorption report (`/reports/absorption`): per operation, municipality, region or programme,
the included and the current budget, contracted, declared, verified and paid, each as an amount and
as a share of the programme's total. The figures are grants.delivery.absorption's, which the API's
`reports/absorption/` and the dashboard's chart read too."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from grants import selectors
from grants.delivery import absorption
from grants.formatting import format_eur

from .base import Column, Report
from .formats import MONEY, PERCENT
from .report_filtersets import AbsorptionFilterSet

# Column headings (plural amounts, «Δηλωθέντα»), not the records' states («Δηλώθηκε»).
FIGURE_LABELS = {
    "included_budget": gettext_lazy("Included budget"),
    "current_budget": gettext_lazy("Current budget"),
    "contracted": pgettext_lazy("absorption", "Contracted"),
    "declared": pgettext_lazy("absorption", "Declared"),
    "verified": pgettext_lazy("absorption", "Verified"),
    "paid": pgettext_lazy("absorption", "Paid"),
}


def _columns():
    columns = [Column("key", gettext_lazy("Code"), width=10), Column("name", gettext_lazy("Name"), width=30)]
    for figure, label in FIGURE_LABELS.items():
        columns.append(Column(figure, label, kind=MONEY, width=15))
        # xgettext:no-python-format
        columns.append(Column(f"{figure}_share", gettext_lazy("% of programme"), kind=PERCENT, width=8))
    return columns


class AbsorptionReport(Report):
    name = "absorption"
    title = gettext_lazy("Absorption")
    description = gettext_lazy(
        "Included and current budget, contracted, declared, verified and paid per operation, municipality, "
        "region or programme, as amounts and as shares of the programme."
    )
    filterset_class = AbsorptionFilterSet
    for_municipalities = True
    # Fourteen columns do not fit a 1366-pixel laptop: the page shows the six amounts by name, and the
    # downloads (CSV, XLSX, PDF, JSON) keep every column, the shares of the programme included.
    columns = _columns()
    page_keys = ("name", *FIGURE_LABELS)

    def scoped(self, user):
        return selectors.applications_for(user)

    def filterset(self, user, params, base=None):
        fs = super().filterset(user, params, base)
        self.group = (fs.form.cleaned_data.get("group") if fs.is_valid() else None) or "operation"
        return fs

    def _group(self):
        return getattr(self, "group", "operation")

    def _programme_total(self, qs):
        cached = getattr(self, "_total", None)
        if cached is None or cached[0] is not qs:
            self._total = (qs, absorption.programme_total(qs))
        return self._total[1]

    def rows(self, qs, *, for_csv=False, limit=None):
        """The groups in order, summed by the database: a page reads only the rows it shows."""
        total = self._programme_total(qs)

        def line(row):
            cells = [row["key"], row["name"]]
            for figure in absorption.FIGURES:
                cells += [row[figure], absorption.share(row[figure], total)]
            return tuple(cells)

        return [line(r) for r in absorption.rows(qs, self._group(), limit=limit)]

    def count(self, qs) -> int:
        return absorption.count(qs, self._group())

    def totals(self, qs) -> dict:
        """Every group's figures added up by the database (the groups add up to the operations)."""
        total = self._programme_total(qs)
        sums = absorption.summed(qs)
        totals = dict(sums)
        totals.update({f"{f}_share": absorption.share(v, total) for f, v in sums.items()})
        return totals

    def summary(self, qs, fs):
        return [
            (_("Rows per"), str(absorption.GROUPS[self._group()])),
            (_("Programme total"), format_eur(self._programme_total(qs))),
        ]
