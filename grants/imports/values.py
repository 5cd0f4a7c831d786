"""Reading one published value: an amount, a date, a status. Each parser returns the value or raises
ValueError with a message for the officer (the caller adds the line number)."""

import datetime
import functools
import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from grants.models import ApplicationStatus as S
from grants.text import fold

CENT = Decimal("0.01")
_AMOUNT_CHARS = re.compile(r"^[0-9.,]+$")
_GROUPED = re.compile(r"^[1-9][0-9]{0,2}([.,][0-9]{3})+$")
# The published form («1,234.56», «1234.5», «12»): what the rules below make of it, read at once.
_PUBLISHED = re.compile(r"^(?:[1-9][0-9]{0,2}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]{1,2})?$")
MISSING_DATE = {"", "-", "–", "—", "―", "−"}
_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")

# The statuses of a published list, folded. The internal values are accepted too (a CSV written by a
# program); any other workflow status is not a decision and is refused.
STATUSES = {
    "ΕΝΤΑΓΜΕΝΗ": S.INCLUDED,
    "ΠΡΟΣ ΕΝΤΑΞΗ": S.TO_BE_INCLUDED,
    "INCLUDED": S.INCLUDED,
    "TO_BE_INCLUDED": S.TO_BE_INCLUDED,
}


def parse_status(value) -> str:
    key = _fold_status(str(value or ""))
    if key in STATUSES:
        return STATUSES[key]
    if not key:
        raise ValueError(_("the status is missing"))
    raise ValueError(
        _("unknown status «%(s)s»: a published list has «Ενταγμένη» or «Προς ένταξη»") % {"s": value}
    )


@functools.lru_cache(maxsize=256)
def _fold_status(value: str) -> str:
    return fold(value)


def parse_amount(value) -> Decimal:
    """An amount in euros, as published («1,234.56») or written the Greek way («1.234,56»).

    The rule, since money has at most two decimals:
    - both separators present: the last one is the decimal mark, the other groups thousands;
    - one separator, repeated («1,234,567» / «1.234.567»): it groups thousands;
    - one separator, once: followed by exactly three digits it groups thousands («1,234» and «1.234»
      are both 1234), followed by one or two digits it is the decimal mark («1234,5» / «1234.50»);
    - thousands groups must be of three digits after a first group of one to three («12,34,567» is
      refused), and a figure with three or more decimals is refused rather than rounded.
    Numbers from a spreadsheet cell are taken as they are (an int, or a float with at most two
    decimals: floats are read through their shortest text form, never through binary arithmetic).
    """
    if isinstance(value, bool):
        raise ValueError(_("«%(v)s» is not an amount") % {"v": value})
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))
        # A formula can leave binary noise (0.1 + 0.2); a real third decimal is refused.
        if abs(amount - amount.quantize(CENT)) > Decimal("0.000001"):
            raise ValueError(_("«%(v)s» has more than two decimals") % {"v": value})
        amount = amount.quantize(CENT)
    elif isinstance(value, Decimal):
        amount = value
    else:
        amount = _parse_amount_text(str(value or ""))
    if not amount.is_finite():
        raise ValueError(_("«%(v)s» is not an amount") % {"v": value})
    if amount < 0:
        raise ValueError(_("a budget cannot be negative (%(v)s)") % {"v": value})
    if amount != amount.quantize(CENT):
        raise ValueError(_("«%(v)s» has more than two decimals") % {"v": value})
    return amount.quantize(CENT)


def _parse_amount_text(raw: str) -> Decimal:
    if _PUBLISHED.match(raw):
        return Decimal(raw.replace(",", ""))
    text = raw.replace("€", "").replace("\u00a0", "").replace("\u202f", "").replace(" ", "").strip()
    if not text:
        raise ValueError(_("the budget is missing"))
    if not _AMOUNT_CHARS.match(text):
        raise ValueError(_("«%(v)s» is not an amount (e.g. 1,234.56 or 1.234,56)") % {"v": raw})
    bad = _MalformedAmount(raw)
    last_comma, last_point = text.rfind(","), text.rfind(".")
    if last_comma >= 0 and last_point >= 0:
        decimal_mark = "," if last_comma > last_point else "."
        grouping = "." if decimal_mark == "," else ","
        whole, _sep, cents = text.rpartition(decimal_mark)
        if grouping in cents or decimal_mark in whole or not cents or len(cents) > 2:
            raise bad
        if not _GROUPED.match(whole) and not whole.isdigit():
            raise bad
        return Decimal(whole.replace(grouping, "") + "." + cents)
    separator = "," if last_comma >= 0 else "." if last_point >= 0 else ""
    if not separator:
        return Decimal(text)
    parts = text.split(separator)
    if len(parts) > 2 or len(parts[-1]) == 3:
        if not _GROUPED.match(text):
            raise bad
        return Decimal(text.replace(separator, ""))
    whole, cents = parts
    if not whole or not cents or len(cents) > 2:
        raise bad
    try:
        return Decimal(f"{whole}.{cents}")
    except InvalidOperation:
        raise bad from None


class _MalformedAmount(ValueError):
    # Its message is translated only when it is raised: most amounts are well formed.
    def __init__(self, raw):
        super().__init__(raw)

    def __str__(self):
        return _("«%(v)s» is not a well-formed amount (e.g. 1,234.56 or 1.234,56)") % {"v": self.args[0]}


def parse_date(value) -> datetime.date | None:
    """dd/mm/yyyy (also with dots or dashes) or yyyy-mm-dd; «–», «-» or nothing for a missing date;
    a spreadsheet date cell as it is."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, (int, float)):
        raise ValueError(_("«%(v)s» is a number, not a date (format the cell as a date)") % {"v": value})
    text = str(value).strip()
    if text in MISSING_DATE:
        return None
    match = _DATE.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
    else:
        match = _ISO_DATE.match(text)
        if not match:
            raise ValueError(_("«%(v)s» is not a date (dd/mm/yyyy)") % {"v": text})
        year, month, day = (int(g) for g in match.groups())
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ValueError(_("«%(v)s» is an impossible date") % {"v": text}) from None


def looks_like_date(token: str) -> bool:
    return bool(
        _DATE.match(token) or _ISO_DATE.match(token) or re.match(r"^\d{1,4}[/.]\d{1,2}[/.]\d{1,4}$", token)
    )


def looks_like_amount(token: str) -> bool:
    return bool(_AMOUNT_CHARS.match(token.replace("€", ""))) and any(c.isdigit() for c in token)
