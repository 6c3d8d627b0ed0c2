from django import template

from egov.core.text import format_vnd

register = template.Library()


@register.filter
def vnd(amount: int | None) -> str:
    """`{{ fee.amount|vnd }}`: "150.000 đồng" (Vietnamese) or "150,000 VND" (English)."""
    return "" if amount is None else format_vnd(amount)
