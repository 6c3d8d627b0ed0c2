"""Template helpers of the catalogue of procedures: the life-event tiles of the home page.

A tag (not a context variable of the home view) so that any portal page can show the tiles
with one include: `{% include "portal/catalogue/_life_events.html" %}`.
"""

from __future__ import annotations

from typing import Any

from django import template

from egov.portal import catalogue_selectors

register = template.Library()


@register.simple_tag
def life_event_tiles() -> list[dict[str, Any]]:
    """The life events that have published procedures: label, count and address (one query)."""
    return [
        {
            "key": key,
            "label": label,
            "count": count,
            "slug": catalogue_selectors.life_event_slug(key),
        }
        for key, label, count in catalogue_selectors.life_event_counts()
    ]
