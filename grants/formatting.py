"""How people read figures here: «1.234.567,89 €», «1.234», «12,34 %», dd/mm/yyyy, whatever the
interface language. The one place for it, so that every column, total, message, e-mail, report and
PDF agrees. It imports nothing of the project: models, services and views all use it."""

from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

__all__ = [
    "EMPTY",
    "EXCEL_EL",
    "date_gr",
    "datetime_gr",
    "eur",
    "excel_el",
    "format_date",
    "format_datetime",
    "format_eur",
    "format_int",
    "format_percent",
    "format_size",
]

# What a list shows for a missing value.
EMPTY = "—"


def format_eur(amount) -> str:
    """«1.234.567,89 €» — how Greek officers read money, used in messages and e-mails."""
    q = Decimal(amount).quantize(Decimal("0.01"))
    sign = "-" if q < 0 else ""
    whole, frac = f"{abs(q):.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{'.'.join(groups)},{frac} €"


def format_int(value) -> str:
    """«1.234»: thousands grouped by a point."""
    return f"{value:,}".replace(",", ".")


def format_percent(share) -> str:
    """A share (0.1234) as «12,34 %»."""
    return f"{Decimal(share) * 100:.2f}".replace(".", ",") + " %"


def format_size(size: int) -> str:
    """A file's size: «1,5 MB», «20 MB», «340 KB» (binary units, one decimal below ten)."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            value = size / factor
            text = f"{value:.1f}" if value < 10 and value != int(value) else f"{round(value):,}"
            return f"{text.replace(',', '_').replace('.', ',').replace('_', '.')} {unit}"
    return f"{size} B"


def format_date(value) -> str:
    """dd/mm/yyyy; a datetime is first put in the site's time zone."""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    if not isinstance(value, date):
        return str(value)
    return value.strftime("%d/%m/%Y")


def format_datetime(value) -> str:
    """dd/mm/yyyy HH:MM in the site's time zone."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime("%d/%m/%Y %H:%M")


# -- the same, with EMPTY for a missing value (lists, history) ----------------------------------------


def eur(amount) -> str:
    if amount is None or amount == "":
        return EMPTY
    return format_eur(Decimal(amount))


def date_gr(value) -> str:
    return EMPTY if value is None else format_date(value)


def datetime_gr(value) -> str:
    return EMPTY if value is None else format_datetime(value)


# -- CSV for Excel in a Greek locale ------------------------------------------------------------------

# The `?dialect=` of a CSV download that Excel with Greek regional settings opens as it should:
# semicolon-separated, decimal comma, dd/mm/yyyy, UTF-8 with a BOM. The plain CSV stays for machines.
EXCEL_EL = "excel-el"
EXCEL_EL_DELIMITER = ";"


def excel_el(value):
    """One CSV cell as Greek Excel reads it: «1234567,89» (a decimal comma and no grouping, so that
    it stays a number), dd/mm/yyyy, dd/mm/yyyy HH:MM in the site's time zone; anything else as is."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Decimal):
        return f"{value:f}".replace(".", ",")
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return format_date(value)
    return value
