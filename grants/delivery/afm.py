"""The Greek tax number (ΑΦΜ): nine digits, the last a check digit. One definition, used by the
contracts' service, the portal's and the admin's forms and the API."""

from django.utils.translation import gettext as _

from .money_common import DeliveryError


def afm_is_valid(value: str) -> bool:
    """True when `value` is nine digits whose last is the check digit: the sum of the first eight,
    each times 2^(8-i) (i from 0), mod 11, mod 10. All zeros pass the arithmetic but is no ΑΦΜ."""
    if len(value) != 9 or not value.isascii() or not value.isdigit() or value == "0" * 9:
        return False
    total = sum(int(d) * 2 ** (8 - i) for i, d in enumerate(value[:8]))
    return total % 11 % 10 == int(value[8])


def normalize_afm(value, *, field: str = "contractor_afm") -> str:
    """The ΑΦΜ as stored: spaces and a leading «EL» (the VAT prefix) dropped; refused with the field
    named when it is not nine digits with a correct check digit."""
    text = str(value or "").strip().replace(" ", "").upper()
    if text.startswith(("EL", "ΕΛ")):
        text = text[2:]
    if not (len(text) == 9 and text.isascii() and text.isdigit()):
        raise DeliveryError({field: _("A ΑΦΜ has exactly nine digits (e.g. 094014201).")})
    if not afm_is_valid(text):
        raise DeliveryError(
            {field: _("«%(v)s» is not a valid ΑΦΜ: its check digit does not match.") % {"v": text}}
        )
    return text
