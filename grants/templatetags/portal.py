from django import template

from grants.formatting import format_eur

register = template.Library()


@register.filter
def eur(amount):
    """Money as Greek officers read it («1.234,50 €»), the same text as in the services' messages."""
    return "" if amount is None else format_eur(amount)
