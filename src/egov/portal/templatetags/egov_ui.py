"""Template helpers shared by every screen: the installation's name and bilingual names.

A tag library rather than a context processor so the base templates work without any settings
change and without a database query (error pages render them while the database may be down).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any

from django import template
from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from vietnam_provinces import Province, ProvinceCode, VietNamDivisionType

from egov.directory import selectors as directory_selectors
from egov.directory.models import Officer

register = template.Library()

_CITY_PREFIX = "Thành phố "


@lru_cache(maxsize=8)
def _province(code: str) -> tuple[str, bool]:
    """(bare name, is a centrally governed city) of the configured province, or ('', False)."""
    try:
        province = Province.from_code(ProvinceCode(int(code)))
    except (ValueError, TypeError):
        return "", False
    is_city = province.division_type == VietNamDivisionType.THANH_PHO_TRUNG_UONG
    name = province.name.removeprefix(_CITY_PREFIX) if is_city else province.name
    return name, is_city


def province_label() -> str:
    """'tỉnh Quảng Ngãi' / 'Quảng Ngãi province', for use inside a sentence."""
    name, is_city = _province(str(getattr(settings, "EGOV_PROVINCE_CODE", "")))
    if not name:
        return ""
    if is_city:
        return _("%(name)s city") % {"name": name}
    return _("%(name)s province") % {"name": name}


@register.simple_tag
def province() -> str:
    """The province (or centrally governed city) this installation serves."""
    return province_label()


@register.simple_tag
def portal_title() -> str:
    label = province_label()
    if not label:
        return _("Electronic information portal")
    return _("Electronic information portal of %(province)s") % {"province": label}


@register.simple_tag
def committee_name() -> str:
    label = province_label()
    if not label:
        return _("People's Committee")
    return _("People's Committee of %(province)s") % {"province": label}


@register.simple_tag
def workspace_title() -> str:
    return _("Document management and executive system")


@register.filter
def localized_name(obj: Any) -> str:
    """`name_en` when English is active and filled in, otherwise `name_vi`."""
    name_vi = str(getattr(obj, "name_vi", "") or "")
    name_en = str(getattr(obj, "name_en", "") or "")
    if (get_language() or "vi").startswith("en") and name_en:
        return name_en
    return name_vi


@register.filter
def nfc(value: object) -> str:
    """Unicode NFC form: Django's own "Tiếng Việt" is decomposed, which breaks text search."""
    return unicodedata.normalize("NFC", str(value))


@register.simple_tag(takes_context=True)
def current_officer(context: template.Context) -> Officer | None:
    """The signed-in officer (with unit and position), shared with the view's own look-up.

    `officer_for` caches on the request's account, so a view that already asked costs nothing
    and any other page costs one query.
    """
    request = context.get("request")
    return directory_selectors.officer_for(getattr(request, "user", None))
