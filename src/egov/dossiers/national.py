"""What the connector to the national public service portal will need, computed from our data.

Our states are finer than the portal's ten status codes; each maps to exactly one
(STANDARDS-VN.md §4, "Dossier states used by the national portal"). Code 6 (financial
obligation requested) is not produced yet: the payments capability will add a state for it.
"""

from __future__ import annotations

from datetime import datetime

from egov.core.calendar import get_calendar
from egov.dossiers.models import Dossier, PortalStatus, State
from egov.procedures.models import Channel

_MAP: dict[str, PortalStatus] = {
    State.SUBMITTED: PortalStatus.RECEIVED,
    State.SUPPLEMENT_REQUESTED: PortalStatus.SUPPLEMENT_REQUESTED,
    State.REFUSED: PortalStatus.NOT_RECEIVED,
    State.ACCEPTED: PortalStatus.RECEIVED,
    State.IN_PROCESS: PortalStatus.IN_PROCESS,
    State.APPROVED: PortalStatus.PROCESSED,
    State.DENIED: PortalStatus.PROCESSED,
    State.RETURNED: PortalStatus.RESULT_RETURNED,
    State.WITHDRAWN: PortalStatus.WITHDRAWAL_REQUESTED,
    State.CANCELLED: PortalStatus.STOPPED,
}


def portal_status(state: str, channel: str) -> PortalStatus:
    """The national portal's status code (1–10) for one of our states.

    An online dossier not yet checked for completeness is "submitted online, awaiting receipt"
    (1); one received at the counter or by post is already "received" (2).
    """
    if state == State.SUBMITTED and channel == Channel.ONLINE:
        return PortalStatus.SUBMITTED_ONLINE
    try:
        return _MAP[state]
    except KeyError:
        raise ValueError(f"unknown dossier state {state!r}") from None


def dossier_portal_status(dossier: Dossier) -> PortalStatus:
    return portal_status(dossier.state, dossier.channel)


def portal_datetime(moment: datetime) -> str:
    """`yyyyMMddHHmmss` in Asia/Ho_Chi_Minh, the portal's date-time format."""
    return moment.astimezone(get_calendar().tz).strftime("%Y%m%d%H%M%S")
