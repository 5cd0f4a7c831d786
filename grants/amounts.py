"""Reading a euro amount as people write it: the one parser behind the published lists (grants.imports),
the forms of the portal, the admin and the reports, the workflow's transitions and the selection
services, so the same text never means two different sums in two places.

Money has at most two decimals: a figure with more is refused, never rounded."""

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _

from grants.text import quoted

CENT = Decimal("0.01")
# The refusals a person reads, said the same way by forms and by services.
TOO_MANY_DECIMALS = gettext_noop("An amount has at most two decimals (cents): «%(v)s» has more.")
NOT_AN_AMOUNT = gettext_noop("Enter an amount in euros, e.g. 12500.00.")
_AMOUNT_CHARS = re.compile(r"^[0-9.,]+$")
_GROUPED = re.compile(r"^[1-9][0-9]{0,2}([.,][0-9]{3})+$")
# The published form («1,234.56», «1234.5», «12»): what the rules below make of it, read at once.
_PUBLISHED = re.compile(r"^(?:[1-9][0-9]{0,2}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]{1,2})?$")
_SPACES = re.compile(r"[\s\u00a0\u202f€]")


class TooManyDecimals(ValueError):
    """Refused rather than rounded: «1234,567» is a typing slip, not 1.234,57 €."""

    def __init__(self, raw):
        super().__init__(raw)

    def __str__(self):
        return _("«%(v)s» has more than two decimals") % {"v": quoted(self.args[0])}


class _MalformedAmount(ValueError):
    # Its message is translated only when it is raised: most amounts are well formed.
    def __init__(self, raw):
        super().__init__(raw)

    def __str__(self):
        return _("«%(v)s» is not a well-formed amount (e.g. 1,234.56 or 1.234,56)") % {
            "v": quoted(self.args[0])
        }


def parse_amount(value, *, decimal_mark: str | None = None) -> Decimal:
    """An amount in euros, as published («1,234.56») or written the Greek way («1.234,56»).

    The rule, since money has at most two decimals:
    - both separators present: the last one is the decimal mark, the other groups thousands;
    - one separator, repeated («1,234,567» / «1.234.567»): it groups thousands;
    - one separator, once, followed by one or two digits: it is the decimal mark («1234,5» / «1234.50»);
    - one separator, once, followed by exactly three digits: it groups thousands («1,234» and «1.234»
      are both 1234) — unless the caller knows the writer's `decimal_mark` (the portal knows the
      page's language) and it is that mark: then «1,234» typed in Greek has three decimals;
    - thousands groups must be of three digits after a first group of one to three («12,34,567» is
      refused), and a figure with three or more decimals is refused (TooManyDecimals), not rounded.
    Numbers from a spreadsheet cell are taken as they are (an int, or a float with at most two
    decimals: floats are read through their shortest text form, never through binary arithmetic).
    Raises ValueError with a message for the person who wrote it.
    """
    if isinstance(value, bool):
        raise ValueError(_("«%(v)s» is not an amount") % {"v": quoted(value)})
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))
        # A formula can leave binary noise (0.1 + 0.2); a real third decimal is refused.
        # (Beyond Decimal's 28 digits quantize() fails: such a figure is refused below.)
        if amount.is_finite() and amount.adjusted() < 20:
            if abs(amount - amount.quantize(CENT)) > Decimal("0.000001"):
                raise TooManyDecimals(value)
            amount = amount.quantize(CENT)
    elif isinstance(value, Decimal):
        amount = value
    else:
        amount = _parse_text(str(value or ""), decimal_mark)
    if not amount.is_finite():
        raise ValueError(_("«%(v)s» is not an amount") % {"v": quoted(value)})
    if amount < 0:
        raise ValueError(_("a budget cannot be negative (%(v)s)") % {"v": quoted(value)})
    try:
        cents = amount.quantize(CENT)
    except InvalidOperation:
        # More digits than Decimal's precision: no budget, and not worth a server error.
        raise ValueError(_("«%(v)s» is not an amount") % {"v": quoted(value)}) from None
    if amount != cents:
        raise TooManyDecimals(value)
    return cents


def money(value, *, field: str, error: type[ValidationError] = ValidationError) -> Decimal:
    """`value` (a Decimal, a number or the text of one) as the amount of `field` in a service or a
    transition: parse_amount's rule, with the refusal raised as `error({field: message})` so that the
    portal, the admin, the API and the imports say which field is wrong. A third decimal is refused,
    never rounded; a negative amount is left to the caller, whose rule («greater than zero», «cannot
    be negative») differs."""
    if isinstance(value, str):
        value = value.strip()
    try:
        if isinstance(value, str):
            negative = value.startswith("-")
            magnitude = value[1:] if negative else value
        else:
            negative = not isinstance(value, bool) and value < 0
            magnitude = -value if negative else value
        amount = parse_amount(magnitude)
    except TooManyDecimals:
        raise error({field: _(TOO_MANY_DECIMALS) % {"v": value}}, code="decimals") from None
    except (ArithmeticError, ValueError, TypeError):
        raise error({field: _(NOT_AN_AMOUNT)}, code="invalid") from None
    return -amount if negative else amount


def _parse_text(raw: str, decimal_mark: str | None) -> Decimal:
    if decimal_mark != "," and _PUBLISHED.match(raw):
        return Decimal(raw.replace(",", ""))
    text = _SPACES.sub("", raw)
    if not text:
        raise ValueError(_("the budget is missing"))
    if not _AMOUNT_CHARS.match(text):
        raise ValueError(_("«%(v)s» is not an amount (e.g. 1,234.56 or 1.234,56)") % {"v": quoted(raw)})
    bad = _MalformedAmount(raw)
    last_comma, last_point = text.rfind(","), text.rfind(".")
    if last_comma >= 0 and last_point >= 0:
        mark = "," if last_comma > last_point else "."
        grouping = "." if mark == "," else ","
        whole, _sep, cents = text.rpartition(mark)
        if grouping in cents or mark in whole or not cents:
            raise bad
        if not _GROUPED.match(whole) and not whole.isdigit():
            raise bad
        if len(cents) > 2:
            raise TooManyDecimals(raw)
        return Decimal(whole.replace(grouping, "") + "." + cents)
    separator = "," if last_comma >= 0 else "." if last_point >= 0 else ""
    if not separator:
        return Decimal(text)
    parts = text.split(separator)
    if len(parts) > 2 or (len(parts[-1]) == 3 and separator != decimal_mark and _GROUPED.match(text)):
        if not _GROUPED.match(text):
            raise bad
        return Decimal(text.replace(separator, ""))
    whole, cents = parts
    if not whole or not cents:
        raise bad
    if len(cents) > 2:
        raise TooManyDecimals(raw)
    try:
        return Decimal(f"{whole}.{cents}")
    except InvalidOperation:
        raise bad from None


# --- forms: the same parser behind every amount a person types (portal, admin, report filters) ---


def parse_typed_amount(text: str, language: str | None = None) -> Decimal:
    """A euro amount typed in Greek or English habits («12.500,00», «12,500.00», «12 500 €»), read by
    the importer's parser; the page's language says which mark is the decimal one, so «1,234» typed
    in Greek has three decimals and is refused. Raises ValueError (TooManyDecimals for that case)."""
    greek = (language or get_language() or "el").startswith("el")
    return parse_amount(str(text or ""), decimal_mark="," if greek else ".")


def typed_form(amount: Decimal, language: str | None = None) -> str:
    """`amount` as a person of the page's language types it, which parse_typed_amount reads back."""
    text = f"{amount:,.2f}"
    if (language or get_language() or "el").startswith("el"):
        text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return text


class AmountField(forms.Field):
    # A text field, not type=number: browsers reject «12.500,00» in number inputs before we see it.
    widget = forms.TextInput

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update(
            {"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false", "maxlength": "30"}
        )
        return attrs

    def prepare_value(self, value):
        """A stored amount shown as the page's language writes it («2.100.000,00» in Greek), so a
        form says the same figure as the text around it; what was typed is shown as typed."""
        if isinstance(value, Decimal):
            return typed_form(value)
        return value

    def to_python(self, value):
        value = str(value or "").strip()
        if not value:
            return None
        try:
            return parse_typed_amount(value)
        except TooManyDecimals:
            raise ValidationError(_(TOO_MANY_DECIMALS), code="decimals", params={"v": value}) from None
        except ValueError:
            raise ValidationError(_(NOT_AN_AMOUNT), code="invalid") from None
