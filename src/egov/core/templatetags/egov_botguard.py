from django import template

from egov.core.botguard import form_token

register = template.Library()


@register.simple_tag
def botguard_token() -> str:
    """A fresh signed rendering moment for the bot guard's hidden field."""
    return form_token()
