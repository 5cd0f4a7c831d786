from django import template

from grants.formatting import format_eur, format_size

register = template.Library()


@register.filter
def eur(amount):
    """Money as Greek officers read it («1.234,50 €»), the same text as in the services' messages."""
    return "" if amount is None else format_eur(amount)


@register.filter
def file_size(size):
    """«1,5 MB», «340 KB»: grants.formatting.format_size."""
    return format_size(size or 0)
