"""Reading one published value: an amount, a date, a status. Each parser returns the value or raises
ValueError with a message for the officer (the caller adds the line number)."""

import datetime
import functools
import re

from django.utils.translation import gettext as _

from grants import published

# The importer reads amounts with the parser the portal uses (re-exported for its callers).
from grants.amounts import parse_amount  # noqa: F401
from grants.text import fold, greek_lookalikes, quoted

_AMOUNT_CHARS = re.compile(r"^[0-9.,]+$")
MISSING_DATE = {"", "-", "–", "—", "―", "−"}
_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")

# The statuses of a published list, folded. The internal values are accepted too (a CSV written by a
# program); any other workflow status is not a decision and is refused.
STATUSES = {
    **{fold(word): status for status, word in published.STATUS.items()},
    **{fold(status): status for status in published.STATUS},
}


def parse_status(value) -> str:
    key = status_key(str(value or ""))
    if key in STATUSES:
        return STATUSES[key]
    if not key:
        raise ValueError(_("the status is missing"))
    raise ValueError(
        _("unknown status «%(s)s»: a published list has «Ενταγμένη» or «Προς ένταξη»") % {"s": quoted(value)}
    )


@functools.lru_cache(maxsize=256)
def status_key(value: str) -> str:
    """The key of STATUSES that `value` spells, if any: folded, and with Latin look-alike capitals
    read as Greek («ΕΝΤΑΓΜΕΝΗ» typed with a Latin E). Cached: a list repeats two or three spellings."""
    key = fold(value)
    return key if key in STATUSES else greek_lookalikes(key)


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
        raise ValueError(
            _("«%(v)s» is a number, not a date (format the cell as a date)") % {"v": quoted(value)}
        )
    text = str(value).strip()
    if text in MISSING_DATE:
        return None
    match = _DATE.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
    else:
        match = _ISO_DATE.match(text)
        if not match:
            raise ValueError(_("«%(v)s» is not a date (dd/mm/yyyy)") % {"v": quoted(text)})
        year, month, day = (int(g) for g in match.groups())
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ValueError(_("«%(v)s» is an impossible date") % {"v": quoted(text)}) from None


def looks_like_date(token: str) -> bool:
    return bool(
        _DATE.match(token) or _ISO_DATE.match(token) or re.match(r"^\d{1,4}[/.]\d{1,2}[/.]\d{1,4}$", token)
    )


def looks_like_amount(token: str) -> bool:
    return bool(_AMOUNT_CHARS.match(token.replace("€", ""))) and any(c.isdigit() for c in token)
