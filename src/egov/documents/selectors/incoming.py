"""Reads of the incoming side: duplicates, "my documents", the clerk's list, the routes tree."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from egov.directory import selectors as directory
from egov.directory.models import Officer, Organization, Role
from egov.documents.models import Direction, Document, Route, Urgency

__all__ = [
    "MY_FILTERS",
    "PAGE_SIZE",
    "DocumentsPage",
    "RouteNode",
    "document_duplicates",
    "document_routes_tree",
    "incoming_list",
    "my_documents",
    "officer_head_units",
    "route_open_for",
]

PAGE_SIZE = 20
MY_FILTERS = ("pending", "done", "all")
OPEN_ROUTE_STATES = (Route.State.PENDING, Route.State.READ)
DONE_ROUTE_STATES = (Route.State.PASSED_ON, Route.State.COMPLETED)

# Most urgent first: Hỏa tốc, Thượng khẩn, Khẩn, then the rest.
_URGENCY_RANK = Case(
    When(urgency=Urgency.FLASH, then=Value(0)),
    When(urgency=Urgency.VERY_URGENT, then=Value(1)),
    When(urgency=Urgency.URGENT, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def document_duplicates(
    *,
    organization: Organization,
    issuer_name: str,
    issuer: Organization | None = None,
    code_number: str,
    code_notation: str,
    issued_on: date | None,
    sha256s: Iterable[str] = (),
) -> list[Document]:
    """Incoming documents of the organisation that look like the one about to be registered.

    The decree (Annex VI) asks the system to warn the clerk of the same document registered
    twice: the same issuer, number/notation and issue date, or the very same file.
    """
    hashes = sorted({h for h in sha256s if h})
    condition = Q(pk__in=[])
    if hashes:
        condition |= Q(main_sha256__in=hashes)
    names = {issuer_name.strip()} | ({issuer.name_vi[:200]} if issuer is not None else set())
    if code_number.strip() and issued_on is not None:
        # On the (issuer_name, code_number, issued_on) index: the directory's name is what
        # registration copies into issuer_name, so the same issuer has the same name.
        condition |= Q(
            issuer_name__in=sorted(n for n in names if n),
            code_number=code_number.strip(),
            issued_on=issued_on,
            code_notation__iexact=code_notation.strip(),
        )
    return list(
        Document.objects.filter(organization=organization, direction=Direction.INCOMING)
        .filter(condition)
        .select_related("register")
        .order_by("pk")
    )


def officer_head_units(officer: Officer) -> list[int]:
    """Ids of the units whose routes the officer receives as their head (unit-scope heads)."""
    if any(a.role == Role.HEAD for a in directory.officer_roles(officer)):
        return [officer.unit_id]
    return []


def _mine_q(officer: Officer) -> Q:
    """Routes addressed to the officer, or to a unit they head without a named officer."""
    condition = Q(officer=officer)
    units = officer_head_units(officer)
    if units:
        condition |= Q(officer__isnull=True, unit_id__in=units)
    return condition


@dataclass
class DocumentsPage:
    """One page of routes with the cheap total (counted on the route table alone)."""

    items: Sequence[Route]
    total: int
    number: int
    page_size: int = PAGE_SIZE
    today: date = field(default_factory=timezone.localdate)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def my_documents(
    officer: Officer,
    *,
    state: str = "pending",
    urgency: str | None = None,
    overdue_only: bool = False,
    page: int = 1,
) -> DocumentsPage:
    """ "Văn bản của tôi": the routes addressed to the officer or to a unit they head.

    The to-do view ("pending") shows the overdue first, then the most urgent, then the soonest
    due, then the newest; "done" and "all" show the newest first (route ids grow with the time
    they were sent, so the primary key index serves that order).

    Kept fast for officers with tens of thousands of routes: the filter stays on the route
    table's (officer, state) / (unit, state) indexes; the count needs no join (unless an
    urgency filter asks for one); the page is found by a narrow query of route ids (LIMIT /
    OFFSET, the database sorts top-N) and only those rows are then fetched with their document.
    """
    today = timezone.localdate()
    qs = Route.objects.filter(_mine_q(officer))
    if state == "pending":
        qs = qs.filter(state__in=OPEN_ROUTE_STATES)
    elif state == "done":
        qs = qs.filter(state__in=DONE_ROUTE_STATES)
    else:
        qs = qs.exclude(state=Route.State.WITHDRAWN)
    if urgency:
        qs = qs.filter(urgency=urgency)
    if overdue_only:
        qs = qs.filter(due_on__lt=today, state__in=OPEN_ROUTE_STATES)
    total = qs.count()
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(max(1, page), pages)
    start = (number - 1) * PAGE_SIZE
    ordered: QuerySet[Route, Any]
    if state == "pending" or overdue_only:
        overdue = Case(
            When(Q(due_on__lt=today) & Q(state__in=OPEN_ROUTE_STATES), then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        ordered = qs.annotate(overdue_rank=overdue, urgency_rank=_URGENCY_RANK).order_by(
            "overdue_rank", "urgency_rank", "due_on", "-sent_at", "-pk"
        )
    else:
        ordered = qs.order_by("-pk")
    ids = list(ordered.values_list("pk", flat=True)[start : start + PAGE_SIZE])
    rows = Route.objects.filter(pk__in=ids).select_related(
        "document", "document__document_type", "unit", "officer"
    )
    by_id = {route.pk: route for route in rows}
    items = [by_id[pk] for pk in ids if pk in by_id]
    return DocumentsPage(items=items, total=total, number=number, today=today)


def incoming_list(
    organization: Organization,
    *,
    state: str = "",
    year: int | None = None,
    urgency: str = "",
    query: str = "",
    confidential_registers: Sequence[int] | None = None,
) -> QuerySet[Document]:
    """The clerk's list of the organisation's incoming documents, newest arrival first.

    `confidential_registers`: ids of the confidential registers the viewer keeps; documents of
    other confidential registers are left out (None: no confidential document at all).
    """
    qs = Document.objects.filter(organization=organization, direction=Direction.INCOMING)
    keeps = list(confidential_registers or [])
    qs = qs.filter(Q(secrecy="none") | Q(register_id__in=keeps))
    if state:
        qs = qs.filter(state=state)
    if year:
        qs = qs.filter(register_year=year)
    if urgency:
        qs = qs.filter(urgency=urgency)
    text = query.strip()
    if text:
        qs = qs.filter(
            Q(subject__icontains=text)
            | Q(code_number=text)
            | Q(code_notation__icontains=text)
            | Q(issuer_name__icontains=text)
        )
    return qs.select_related("document_type", "register").order_by(
        "-arrived_at", "-register_number", "-pk"
    )


@dataclass
class RouteNode:
    route: Route
    children: list[RouteNode] = field(default_factory=list)


def document_routes_tree(document: Document) -> list[RouteNode]:
    """The processing slip as a tree: the head's routes, each with what the unit passed on."""
    routes = list(
        Route.objects.filter(document=document)
        .select_related("unit", "officer", "sent_by", "reply_document")
        .order_by("sent_at", "pk")
    )
    nodes = {route.pk: RouteNode(route) for route in routes}
    roots: list[RouteNode] = []
    for route in routes:
        node = nodes[route.pk]
        if route.parent_id is not None and route.parent_id in nodes:
            nodes[route.parent_id].children.append(node)
        else:
            roots.append(node)
    return roots


def route_open_for(document: Document, officer: Officer) -> list[Route]:
    """The document's routes the officer receives (named, or their unit's as its head)."""
    return list(
        Route.objects.filter(document=document)
        .filter(_mine_q(officer))
        .select_related("unit", "officer")
        .order_by("sent_at", "pk")
    )
