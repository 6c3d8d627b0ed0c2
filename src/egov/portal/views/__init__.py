"""The public portal's pages: home, and the organisations with their contact details."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from egov.portal import selectors

MAX_QUERY = 100


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"committee": selectors.province_committee()})


@require_safe
def organizations(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY]
    groups = selectors.organization_groups(query)
    return render(
        request,
        "portal/organizations.html",
        {
            "groups": groups,
            "query": query,
            "total": sum(len(group.members) for group in groups),
        },
    )


@require_safe
def organization(request: HttpRequest, code: str) -> HttpResponse:
    node = selectors.organization_public(code)
    if node is None:
        raise Http404(code)
    units, others = selectors.organization_children(node)
    return render(
        request,
        "portal/organization.html",
        {"organization": node, "units": units, "groups": selectors.group_nodes(others)},
    )
