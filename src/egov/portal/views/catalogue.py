"""The citizens' catalogue of procedures: search and browse, one procedure, its template forms.

Server-rendered pages that work without JavaScript: the search is a GET form (words with or
without diacritics, filters by field, organisation, level of government, online service level
and life event), results come ranked by `egov.procedures.selectors.procedure_search` and
paginated. Bad parameters get the page back with a clear message and status 400, never a 500.
See docs/portal.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language, gettext, pgettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from egov.core.files import file_open
from egov.core.text import format_vnd
from egov.portal import catalogue_selectors as selectors
from egov.portal.catalogue_selectors import life_event_slug
from egov.procedures.models import (
    LIFE_EVENTS,
    Channel,
    FeeStage,
    Level,
    ProcedureVersion,
    ServiceLevel,
    TimeUnit,
)

MAX_QUERY = 200
MAX_PAGE_PARAM = 6  # digits: a page number longer than that is a typo or a probe

ONLINE_LEVELS = {ServiceLevel.FULL_ONLINE.value, ServiceLevel.PARTIAL_ONLINE.value}

TIME_UNIT_TEXT = {
    TimeUnit.WORKING_DAYS: _("%(n)s working days"),
    TimeUnit.DAYS: _("%(n)s days"),
    TimeUnit.HOURS: _("%(n)s working hours"),
}


def _life_event_by_slug(slug: str) -> str | None:
    for key in LIFE_EVENTS:
        if life_event_slug(key) == slug:
            return key
    return None


def apply_url(code: str) -> str:
    """Where the "apply online" button goes: the apply task's page, or its documented path."""
    try:
        return reverse("portal:apply_start", args=[code])
    except NoReverseMatch:
        return f"/nop-ho-so/{code}/"


# --- the search page -----------------------------------------------------------------------------


@dataclass
class Checked:
    query: selectors.CatalogueQuery
    errors: list[str] = field(default_factory=list)


def _check(
    params: Mapping[str, str], choices: selectors.CatalogueChoices, *, life_event: str = ""
) -> Checked:
    """The search parameters as a CatalogueQuery, with a message for each bad one."""
    errors: list[str] = []
    q = " ".join(params.get("q", "").split())
    if len(q) > MAX_QUERY:
        errors.append(
            gettext("The search words are too long: at most %(n)d characters.") % {"n": MAX_QUERY}
        )
        q = q[:MAX_QUERY]

    def pick(name: str, allowed: set[str], message: str) -> str:
        value = params.get(name, "").strip()
        if value and value not in allowed:
            errors.append(message % {"value": value[:40]})
            return ""
        return value

    field_code = pick(
        "field", {c for c, _n in choices.fields}, gettext("There is no field %(value)s.")
    )
    organization = pick(
        "organization",
        {c for c, _n in choices.organizations},
        gettext("No published procedure belongs to the organisation %(value)s."),
    )
    level = pick("level", set(Level.values), gettext("%(value)s is not a level of government."))
    service_level = pick(
        "service_level",
        set(ServiceLevel.values),
        gettext("%(value)s is not an online service level."),
    )
    event = life_event or pick(
        "life_event", set(LIFE_EVENTS), gettext("%(value)s is not a life event.")
    )
    raw_page = params.get("page", "").strip()
    page = 1
    if raw_page:
        if raw_page.isdigit() and len(raw_page) <= MAX_PAGE_PARAM and int(raw_page) >= 1:
            page = int(raw_page)
        else:
            errors.append(
                gettext("The page number must be a whole number from 1: %(value)s.")
                % {"value": raw_page[:20]}
            )
    query = selectors.CatalogueQuery(
        q=q,
        field=field_code,
        organization=organization,
        level=level,
        service_level=service_level,
        life_event=event,
        page=page,
    )
    return Checked(query, errors)


def _url(base: str, query: selectors.CatalogueQuery, **changes: Any) -> str:
    """The search page's address with the given parameters changed (empty ones left out)."""
    values = {
        "q": query.q,
        "field": query.field,
        "organization": query.organization,
        "level": query.level,
        "service_level": query.service_level,
        "life_event": query.life_event,
        "page": query.page if query.page > 1 else "",
    }
    values.update(changes)
    kept = {k: v for k, v in values.items() if v not in ("", None, 1)}
    return f"{base}?{urlencode(kept)}" if kept else base


def _active_filters(
    query: selectors.CatalogueQuery,
    choices: selectors.CatalogueChoices,
    base: str,
    *,
    fixed_event: bool,
) -> list[dict[str, str]]:
    """The filters in use, each with the address of the same search without it."""
    fields = dict(choices.fields)
    organizations = dict(choices.organizations)
    out: list[tuple[Any, Any, str]] = []
    if query.field:
        out.append((_("Field"), fields.get(query.field, query.field), "field"))
    if query.organization:
        out.append((_("Organisation"), organizations.get(query.organization, ""), "organization"))
    if query.level:
        out.append((_("Level of government"), Level(query.level).label, "level"))
    if query.service_level:
        out.append((_("Online service"), ServiceLevel(query.service_level).label, "service_level"))
    if query.life_event and not fixed_event:
        out.append((_("Life event"), LIFE_EVENTS[query.life_event], "life_event"))
    return [
        {
            "label": str(label),
            "value": str(value),
            "remove": _url(base, query, **{name: "", "page": ""}),
        }
        for label, value, name in out
    ]


def _search_page(request: HttpRequest, *, life_event: str = "") -> HttpResponse:
    choices = selectors.catalogue_choices()
    checked = _check(request.GET, choices, life_event=life_event)
    query = checked.query
    base = (
        reverse("portal:life_event", args=[life_event_slug(life_event)])
        if life_event
        else reverse("portal:procedures")
    )
    status = 200
    result: selectors.CatalogueResult | None = None
    errors = checked.errors
    if not errors:
        result = selectors.catalogue_search(query, page_size=selectors.PAGE_SIZE)
        if query.page > result.pages:
            errors = [
                gettext("There is no page %(page)d: the results have %(pages)d pages.")
                % {"page": query.page, "pages": result.pages}
            ]
            result = None
            status = 404
    else:
        status = 400
    context: dict[str, Any] = {
        "query": query,
        "choices": choices,
        "levels": Level.choices,
        "service_levels": ServiceLevel.choices,
        "life_events": [
            (key, label, reverse("portal:life_event", args=[life_event_slug(key)]))
            for key, label in LIFE_EVENTS.items()
        ],
        "life_event": life_event,
        "life_event_label": LIFE_EVENTS.get(life_event, ""),
        "errors": errors,
        "result": result,
        "base": base,
        "active_filters": _active_filters(query, choices, base, fixed_event=bool(life_event)),
        "clear_url": base,
        "first_number": ((result.page - 1) * selectors.PAGE_SIZE + 1) if result else 0,
    }
    if result is not None:
        # Procedure codes are letters, digits, dots and dashes (CODE_REGEX): safe in a path,
        # so one reverse serves every row.
        prefix = reverse("portal:procedures")
        context["rows"] = [_row(prefix, p.code, p.published_version) for p in result.items]
        if result.page > 1:
            context["previous_url"] = _url(base, query, page=result.page - 1)
        if result.page < result.pages:
            context["next_url"] = _url(base, query, page=result.page + 1)
    if errors and status == 404:
        context["first_page_url"] = _url(base, query, page="")
    return render(request, "portal/catalogue/search.html", context, status=status)


def _row(prefix: str, code: str, version: ProcedureVersion | None) -> dict[str, Any]:
    assert version is not None  # noqa: S101 - the search returns published procedures only
    return {
        "code": code,
        "url": f"{prefix}{code}/",
        "name": version.name,
        "field": version.field.name,
        "level": version.get_level_display(),
        "service_level": version.service_level,
        "service_level_label": version.get_service_level_display(),
        "online": version.service_level in ONLINE_LEVELS,
        "organization": version.competent_text,
    }


@require_safe
def procedures(request: HttpRequest) -> HttpResponse:
    """Search and browse the published procedures."""
    return _search_page(request)


@require_safe
def life_event(request: HttpRequest, slug: str) -> HttpResponse:
    """The procedures of one life event (business, house, family …), searchable within it."""
    key = _life_event_by_slug(slug)
    if key is None:
        raise Http404(slug)
    return _search_page(request, life_event=key)


# --- one procedure -------------------------------------------------------------------------------


def _amount(value: int) -> str:
    return format_vnd(value)


def _number(value: Decimal) -> str:
    text = f"{value:f}".rstrip("0").rstrip(".") if "." in f"{value:f}" else f"{value:f}"
    if (get_language() or "vi").startswith("vi"):
        text = text.replace(".", ",")
    return text


def duration_text(value: Decimal, unit: str) -> str:
    if unit == TimeUnit.WITHIN_DAY:
        return gettext("Within the day")
    return str(TIME_UNIT_TEXT[TimeUnit(unit)]) % {"n": _number(value)}


def fee_rule_text(rule: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> str:
    """A fee rule in words (egov.procedures.feerules), for people who prepare their dossier.

    `labels` names the e-form fields a rule is computed from (their titles in the schema)."""
    kind = rule.get("kind")
    by = str(rule.get("by", ""))
    by = (labels or {}).get(by, by)
    bounds = []
    if rule.get("min"):
        bounds.append(gettext("at least %(amount)s") % {"amount": _amount(int(rule["min"]))})
    if rule.get("max"):
        bounds.append(gettext("at most %(amount)s") % {"amount": _amount(int(rule["max"]))})
    tail = f" ({', '.join(bounds)})" if bounds else ""
    if kind == "fixed":
        return _amount(int(rule.get("amount", 0)))
    if kind == "percent":
        rate = str(rule.get("rate", "0"))
        if (get_language() or "vi").startswith("vi"):
            rate = rate.replace(".", ",")
        return gettext("%(rate)s%% of %(by)s") % {"rate": rate, "by": by} + tail
    if kind == "per_unit":
        return (
            gettext("%(amount)s per %(by)s")
            % {"amount": _amount(int(rule.get("unit_amount", 0))), "by": by}
            + tail
        )
    if kind == "tiers":
        parts = []
        for tier in rule.get("tiers", []):
            amount = _amount(int(tier.get("amount", 0)))
            if tier.get("up_to") is None:
                parts.append(gettext("above: %(amount)s") % {"amount": amount})
            else:
                parts.append(
                    gettext("%(by)s up to %(limit)s: %(amount)s")
                    % {"by": by, "limit": tier["up_to"], "amount": amount}
                )
        return "; ".join(parts)
    return gettext("Calculated from the dossier's data")


def _document_groups(version: ProcedureVersion) -> list[dict[str, Any]]:
    """Required documents: those for every case first, then one group per case."""
    documents = list(version.documents.all())
    groups = []
    common = [d for d in documents if not d.case]
    if common:
        groups.append(
            {
                "title": gettext("For every case") if version.cases else "",
                "documents": common,
            }
        )
    for case in version.cases:
        own = [d for d in documents if d.case == case.get("code")]
        if own:
            groups.append(
                {
                    "title": pgettext("case of a procedure", "Case: %(name)s")
                    % {"name": case.get("name", "")},
                    "documents": own,
                }
            )
    return groups


def _where_to_submit(version: ProcedureVersion) -> list[dict[str, Any]]:
    office = version.executing_organization or version.competent_organization
    office_name = version.executing_text or version.competent_text
    rows = []
    for channel in version.channels.all():
        if channel.channel == Channel.ONLINE:
            how = gettext("Online, on this portal.")
        elif channel.channel == Channel.POST:
            how = gettext("By public post to %(office)s.") % {"office": office_name}
        else:
            how = gettext("At the counter of %(office)s.") % {"office": office_name}
        rows.append(
            {
                "channel": channel.get_channel_display(),
                "time": duration_text(channel.time_value, channel.time_unit),
                "how": how,
                "description": channel.description,
                "fee_note": channel.fee_note,
            }
        )
    return [{"office": office, "rows": rows}]


@require_safe
def procedure(request: HttpRequest, code: str) -> HttpResponse:
    """Everything the catalogue publishes about one procedure, and the way to apply online."""
    version = selectors.procedure_public(code)
    if version is None:
        return render(request, "portal/catalogue/not_found.html", {"code": code[:40]}, status=404)
    online = version.service_level in ONLINE_LEVELS
    properties = (version.eform_schema or {}).get("properties") or {}
    labels = {
        name: str(spec["title"])
        for name, spec in properties.items()
        if isinstance(spec, Mapping) and spec.get("title")
    }
    fees = [
        {
            "kind": f.get_kind_display(),
            "name": f.name,
            "channel": f.get_channel_display() if f.channel else "",
            "amount": _amount(f.amount)
            if f.amount is not None
            else fee_rule_text(f.rule or {}, labels),
            "legal_basis": f.legal_basis,
            "note": f.note,
        }
        for f in version.fees.all()
    ]
    submit = _where_to_submit(version)[0]
    context = {
        "version": version,
        "procedure": version.procedure,
        "online": online,
        "apply_url": apply_url(version.procedure.code) if online else "",
        "document_groups": _document_groups(version),
        "fees": fees,
        "fee_stage_after": version.fee_stage == FeeStage.AFTER,
        "submit_office": submit["office"],
        "submit_rows": submit["rows"],
        "steps": [
            {
                "name": s.name,
                "responsible": s.responsible_text
                or (s.responsible_unit.name_vi if s.responsible_unit else "")
                or s.get_responsible_role_display(),
                "days": _number(s.working_days),
            }
            for s in version.steps.all()
        ],
        "life_events": [
            (LIFE_EVENTS[key], life_event_slug(key))
            for key in version.life_events
            if key in LIFE_EVENTS
        ],
    }
    return render(request, "portal/catalogue/procedure.html", context)


@require_safe
def procedure_template(request: HttpRequest, code: str, document: str) -> FileResponse:
    """The template form (mẫu đơn, tờ khai) of a required document, to fill in before applying."""
    stored = selectors.procedure_template(code[:40], document[:40])
    if stored is None:
        raise Http404(document)
    return FileResponse(
        file_open(stored),
        as_attachment=True,
        filename=stored.original_name,
        content_type=stored.content_type,
    )
