"""Who may act on incoming documents (Decree 30/2020 incoming flow, STANDARDS-VN.md §2).

The clerk (văn thư) of the receiving organisation registers, presents and returns documents;
a head of the organisation (or a deputy holding the head's "approve" delegation) directs them
and reopens them; a unit head passes the unit's part on to an officer of the unit; the officer
a route names, or the head of the route's unit, reads and completes it. Reading a document's
page is `document.read` (rules_read.py), not decided here.
"""

from __future__ import annotations

from typing import Any

from egov.directory import policy
from egov.directory.models import Delegation, Organization, Role
from egov.documents.models import Document, Route

# The delegated power a deputy needs to direct documents in the head's place.
DIRECTION_POWER = Delegation.Power.APPROVE


def _organization(obj: Any) -> Organization | None:
    if isinstance(obj, Document):
        return obj.organization
    if isinstance(obj, Organization):
        return obj
    return None


def clerk_over(actor: Any, obj: Any) -> bool:
    """A clerk whose scope reaches the organisation (or the document's organisation)."""
    return policy.has_role(policy.officer_of(actor), Role.CLERK, over=_organization(obj))


def head_over(actor: Any, obj: Any) -> bool:
    """A head of the organisation, or a deputy exercising a head's delegated power now."""
    return policy.may_exercise(policy.officer_of(actor), DIRECTION_POWER, _organization(obj))


@policy.rule("document.register_incoming")
def _register_incoming(actor: Any, obj: Any) -> bool:
    """Register an incoming document (`obj`: the organisation, or the ARRIVED document)."""
    return clerk_over(actor, obj)


@policy.rule("document.correct_metadata")
def _correct_metadata(actor: Any, obj: Any) -> bool:
    """Correct a registered document's metadata, e.g. from the OCR suggestions: the clerk."""
    return clerk_over(actor, obj)


@policy.rule("document.present")
def _present(actor: Any, obj: Any) -> bool:
    """Send a registered document to a head for direction: the clerk."""
    return clerk_over(actor, obj)


@policy.rule("document.return_to_sender")
def _return_to_sender(actor: Any, obj: Any) -> bool:
    """Return a wrongly addressed document to its sender: the clerk."""
    return clerk_over(actor, obj)


@policy.rule("document.direct")
def _direct(actor: Any, obj: Any) -> bool:
    """Write the direction (bút phê) and name lead, co-operating and informed receivers."""
    return head_over(actor, obj)


@policy.rule("document.reopen")
def _reopen(actor: Any, obj: Any) -> bool:
    """Reopen a completed document: the head who may direct it."""
    return head_over(actor, obj)


def _route_unit_head(actor: Any, route: Route) -> bool:
    return route.unit_id is not None and policy.has_role(
        policy.officer_of(actor), Role.HEAD, over=route.unit
    )


def _route_receiver(actor: Any, route: Route) -> bool:
    officer = policy.officer_of(actor)
    if officer is None:
        return False
    if route.officer_id is not None and route.officer_id == officer.pk:
        return True
    return route.officer_id is None and _route_unit_head(actor, route)


@policy.rule("route.pass_on")
def _route_pass_on(actor: Any, obj: Any) -> bool:
    """Pass a unit's route to one of the unit's officers: the head of that unit."""
    return isinstance(obj, Route) and _route_unit_head(actor, obj)


@policy.rule("route.complete")
def _route_complete(actor: Any, obj: Any) -> bool:
    """Report the route's part done: the officer it names, or the head of its unit."""
    return isinstance(obj, Route) and (_route_receiver(actor, obj) or _route_unit_head(actor, obj))


@policy.rule("route.read")
def _route_read(actor: Any, obj: Any) -> bool:
    """Record the read receipt: the receiver the route names (or the unit's head)."""
    return isinstance(obj, Route) and _route_receiver(actor, obj)
