"""The wording of the published decision lists: their statuses, their column headings and how they
write amounts and dates. Data, not interface text, so not translated. The importer reads these words
(grants.imports), the published-format export writes them (grants.reports.definitions) and the demo
reads the shipped sample with them (grants.demo): one definition, so an export imports back."""

import datetime

from grants.models.application import ApplicationStatus as S

# Status as published ← the workflow's value; the included are listed first.
STATUS = {S.INCLUDED: "Ενταγμένη", S.TO_BE_INCLUDED: "Προς ένταξη"}
STATUS_BY_WORD = {word: status for status, word in STATUS.items()}

# The four columns, in order: field → heading.
HEADINGS = {
    "status": "ΚΑΤΑΣΤΑΣΗ ΠΡΑΞΗΣ",
    "beneficiary": "ΔΙΚΑΙΟΥΧΟΣ",
    "budget": "Π/Υ",
    "inclusion_date": "ΗΜΕΡΟΜΗΝΙΑ ΕΝΤΑΞΗΣ",
}
# The first line of a list published as text.
TEXT_HEADER = " ".join(HEADINGS.values())
# What an operation not yet included has in the date column.
MISSING_DATE = "–"


def amount(value) -> str:
    """«1,234.56»: the published lists' form (grants.amounts reads it back)."""
    return f"{value:,.2f}" if value is not None else ""


def date(value: datetime.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value is not None else ""


def text_line(status_word: str, beneficiary: str, budget, inclusion_date) -> str:
    """One line of a list published as text: «<status> <ΔΗΜΟΣ …> <1,234.56> <dd/mm/yyyy or –>»."""
    return f"{status_word} {beneficiary} {amount(budget)} {date(inclusion_date) or MISSING_DATE}"
