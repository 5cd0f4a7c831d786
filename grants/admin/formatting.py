"""How officers read figures: «1.234.567,89 €» and dd/mm/yyyy, whatever the interface language.
One place so that every column, total and message agrees."""

from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from projects.services import format_eur

__all__ = ["eur", "date_gr", "datetime_gr", "format_eur"]

EMPTY = "—"


def eur(amount) -> str:
    if amount is None or amount == "":
        return EMPTY
    return format_eur(Decimal(amount))


def date_gr(value) -> str:
    if value is None:
        return EMPTY
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    if not isinstance(value, date):
        return str(value)
    return value.strftime("%d/%m/%Y")


def datetime_gr(value) -> str:
    if value is None:
        return EMPTY
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime("%d/%m/%Y %H:%M")
