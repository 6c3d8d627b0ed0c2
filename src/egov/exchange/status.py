"""edXML status messages (QCVN 102:2016 `MessageStatus`) and their codes.

A status message tells the sender what became of its document at one recipient:

    edXML:edXMLEnvelope
      edXML:edXMLHeader
        edXML:MessageStatus  ResponseFor (OrganId, Code, PromulgationDate, DocumentId),
                             From (OrganId, OrganName…), StatusCode, Description,
                             Timestamp (ISO 8601 with offset), StaffInfo (Department, Staff,
                             Email, Mobile)
        edXML:Signature      (our end-to-end signature, see auth.py)

Codes (STANDARDS-VN.md §3): 01 arrived, 02 refused, 03 received (registered), 04 assigned,
05 in process, 06 completed, 13 recall requested, 15 recalled, 16 recall refused. Child element
names of ResponseFor/StaffInfo are **to check** against the text of the standard.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext

from egov.exchange.edxml import (
    DATE_FORMAT,
    NS,
    PREFIX,
    EdxmlInvalid,
    Organ,
    _invalid,
    _organ,
    _q,
    _read_organ,
    _Reader,
    _refuse_declarations,
    _sub,
)

__all__ = [
    "ARRIVED",
    "ASSIGNED",
    "COMPLETED",
    "IN_PROCESS",
    "RANK",
    "RECALLED",
    "REFUSED",
    "REGISTERED",
    "StatusMessage",
    "status_parse",
    "status_serialize",
]

ARRIVED = "01"
REFUSED = "02"
REGISTERED = "03"
ASSIGNED = "04"
IN_PROCESS = "05"
COMPLETED = "06"
RECALL_REQUESTED = "13"
RECALLED = "15"
RECALL_REFUSED = "16"
KNOWN = frozenset(
    {
        ARRIVED,
        REFUSED,
        REGISTERED,
        ASSIGNED,
        IN_PROCESS,
        COMPLETED,
        RECALL_REQUESTED,
        RECALLED,
        RECALL_REFUSED,
    }
)
# Order of progress for two statuses with the same timestamp (the later code wins).
RANK = {
    ARRIVED: 1,
    REGISTERED: 2,
    ASSIGNED: 3,
    IN_PROCESS: 4,
    COMPLETED: 5,
    REFUSED: 6,
    RECALL_REQUESTED: 6,
    RECALL_REFUSED: 6,
    RECALLED: 7,
}
MAX_STATUS_BYTES = 256 * 1024


@dataclass(frozen=True)
class StatusMessage:
    from_: Organ
    status_code: str
    timestamp: datetime
    document_id: str
    response_organ_id: str = ""
    response_code: str = ""
    response_date: date | None = None
    description: str = ""
    staff_department: str = ""
    staff_name: str = ""
    staff_email: str = ""
    staff_mobile: str = ""


def status_serialize(status: StatusMessage) -> bytes:
    root = ET.Element(_q("edXMLEnvelope"))
    head = _sub(root, "edXMLHeader")
    message = _sub(head, "MessageStatus")
    reply = _sub(message, "ResponseFor")
    _sub(reply, "OrganId", status.response_organ_id)
    _sub(reply, "Code", status.response_code)
    if status.response_date is not None:
        _sub(reply, "PromulgationDate", status.response_date.strftime(DATE_FORMAT))
    _sub(reply, "DocumentId", status.document_id)
    _organ(message, "From", status.from_)
    _sub(message, "StatusCode", status.status_code)
    _sub(message, "Description", status.description)
    _sub(message, "Timestamp", timezone.localtime(status.timestamp).isoformat())
    staff = _sub(message, "StaffInfo")
    _sub(staff, "Department", status.staff_department)
    _sub(staff, "Staff", status.staff_name)
    _sub(staff, "Email", status.staff_email)
    _sub(staff, "Mobile", status.staff_mobile)
    _sub(root, "edXMLBody")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def status_parse(data: bytes) -> StatusMessage:
    """Validate a status message strictly; `EdxmlInvalid` names the element at fault."""
    if len(data) > MAX_STATUS_BYTES:
        raise _invalid(
            gettext("The status message is larger than %(limit)s bytes.")
            % {"limit": MAX_STATUS_BYTES},
            code="exchange.too_large",
        )
    _refuse_declarations(data)
    element = ET.fromstring(data)  # noqa: S314 - declarations refused above
    if element.tag != _q("edXMLEnvelope"):
        expected = f"{PREFIX}:edXMLEnvelope"
        raise _invalid(
            gettext("The root element must be %(element)s in namespace %(namespace)s.")
            % {"element": expected, "namespace": NS},
            element=expected,
        )
    root = _Reader(element, f"/{PREFIX}:edXMLEnvelope")
    message = root.one("edXMLHeader").one("MessageStatus")
    reply = message.one("ResponseFor")
    code = message.text("StatusCode", required=True)
    if code not in KNOWN:
        path = message._child_path("StatusCode")
        raise _invalid(
            gettext("Unknown status code %(code)s in %(element)s.")
            % {"code": code[:10], "element": path},
            element=path,
        )
    stamp = message.text("Timestamp", required=True)
    try:
        at = datetime.fromisoformat(stamp)
    except ValueError as exc:
        path = message._child_path("Timestamp")
        raise _invalid(
            gettext("Element %(element)s is not a date and time (ISO 8601): %(value)s")
            % {"element": path, "value": stamp[:40]},
            element=path,
        ) from exc
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    staff = message.maybe("StaffInfo")
    return StatusMessage(
        from_=_read_organ(message.one("From")),
        status_code=code,
        timestamp=at,
        document_id=reply.text("DocumentId", required=True),
        response_organ_id=reply.text("OrganId"),
        response_code=reply.text("Code"),
        response_date=reply.date("PromulgationDate"),
        description=message.text("Description"),
        staff_department=staff.text("Department") if staff else "",
        staff_name=staff.text("Staff") if staff else "",
        staff_email=staff.text("Email") if staff else "",
        staff_mobile=staff.text("Mobile") if staff else "",
    )


__all__ += ["EdxmlInvalid"]
