"""The edXML package (QCVN 102:2016/BTTTT, amended by Circular 01/2022): build and parse.

Agencies on other systems receive our issued documents, and send us theirs, as edXML packages.
This module is the format only (no transport, no models): `edxml_build(document)` turns an
issued outgoing document into package bytes, `edxml_parse(data)` turns received bytes into a
`Package` or refuses them with a coded `EdxmlInvalid` naming the element at fault — a malformed
package must give the sender a clear refusal, never a crash.

Layout (STANDARDS-VN.md §3): namespace `http://www.mic.gov.vn/TBT/QCVN_102_2016`, every element
prefixed `edXML:` (receivers built on .NET serialisation reject unprefixed ones)::

    edXML:edXMLEnvelope
      edXML:edXMLHeader
        edXML:MessageHeader  From, To…, DocumentId, Code, PromulgationInfo, DocumentType,
                             Subject, Content, SignerInfo, DueDate, ToPlaces, OtherInfo,
                             ResponseFor, SteeringType
        edXML:TraceHeaderList  TraceHeader… (OrganId, Timestamp), Bussiness (BussinessDocType…)
      edXML:edXMLBody
        edXML:edXMLManifest  Reference… (ContentId, AttachmentName, ContentType,
                             Description, Size, DigestValue)
      edXML:AttachmentEncoded  Attachment… (ContentId, Value = base64)

Safety: DOCTYPE and entity declarations are refused before the tree is built (no billion
laughs, no external entities), sizes are checked before decoding, and every attachment's
SHA-256 must match its manifest reference.

Names **to check** against the text of QCVN 102:2016 (not given in STANDARDS-VN.md; chosen
close to the standard and to packages seen in real systems):
- the place of `AttachmentEncoded`: the standard keeps it "outside the envelope"; we put it as
  the envelope's last child so that one package is one well-formed XML document;
- `edXML:Attachment` children `ContentId` / `Value`; manifest `Reference` children `Size` and
  `DigestValue` (hex SHA-256, our addition so that the header signature covers the files);
- From/To contact children `OrganAdd`, `Email`, `Telephone`, `Fax`, `Website`;
- `ToPlaces/Place`; `OtherInfo/Appendixes` as a count (the standard may list `Appendix` names);
- `ResponseFor` children `OrganId`, `Code`, `PromulgationDate`, `DocumentId`;
- `TraceHeaderList/TraceHeader` (`OrganId`, `Timestamp` in ISO 8601 with offset) and
  `TraceHeaderList/Bussiness` (`BussinessDocType`: 0 new, 1 recall, 2 update, 3 replace;
  `BussinessDocReason`) — the standard's spelling "Bussiness" is kept;
- `OtherInfo/Priority` codes 0 normal, 1 urgent (khẩn), 2 very urgent (thượng khẩn), 3 flash
  (hỏa tốc); `SteeringType` 0 by default;
- `DocumentType/Type` code list: configuration `EGOV_EDXML_DOCUMENT_TYPES` ({our type code:
  Type}), default "1"; `TypeDetail` carries our type code.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import xml.etree.ElementTree as ET
import xml.parsers.expat
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from egov.core.errors import ValidationFailed
from egov.core.files import file_open

__all__ = [
    "MAX_ATTACHMENT_BYTES",
    "MAX_PACKAGE_BYTES",
    "NS",
    "Attachment",
    "Code",
    "DocumentTypeInfo",
    "EdxmlInvalid",
    "MessageHeader",
    "Organ",
    "OtherInfo",
    "Package",
    "PromulgationInfo",
    "ResponseFor",
    "SignerInfo",
    "TraceHeader",
    "TraceHeaderList",
    "document_id_for",
    "edxml_build",
    "edxml_parse",
    "package_serialize",
    "package_to_dict",
    "priority_for_urgency",
]

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
PREFIX = "edXML"
DATE_FORMAT = "%Y/%m/%d"
_DATE = re.compile(r"(?P<y>[0-9]{4})/(?P<m>[0-9]{2})/(?P<d>[0-9]{2})")
MAX_PACKAGE_BYTES = 100 * 1024 * 1024
MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024

# Urgency of egov.documents → OtherInfo/Priority (to check, see the module docstring).
_PRIORITY = {"normal": 0, "urgent": 1, "very_urgent": 2, "flash": 3}

ET.register_namespace(PREFIX, NS)


class EdxmlInvalid(ValidationFailed):
    """A package (or a document to package) that does not meet the format; `field` names the
    element at fault."""

    code = "exchange.invalid"
    default_message = _("The edXML package is not valid.")


# --- the package ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Organ:
    """From / To: an organisation by its electronic code (QCVN 102 code, else Decision 20)."""

    organ_id: str
    organ_name: str
    organization_in_charge: str = ""
    address: str = ""
    email: str = ""
    telephone: str = ""
    fax: str = ""
    website: str = ""


@dataclass(frozen=True)
class Code:
    code_number: str
    code_notation: str


@dataclass(frozen=True)
class PromulgationInfo:
    place: str
    promulgation_date: date


@dataclass(frozen=True)
class DocumentTypeInfo:
    type: str
    type_detail: str
    type_name: str


@dataclass(frozen=True)
class SignerInfo:
    competence: str  # the authority line: "KT. CHỦ TỊCH", "TM. ỦY BAN NHÂN DÂN" …
    position: str
    full_name: str


@dataclass(frozen=True)
class OtherInfo:
    priority: int = 0
    sphere_of_promulgation: str = ""
    typer_notation: str = ""
    promulgation_amount: int | None = None
    page_amount: int | None = None
    appendixes: int = 0


@dataclass(frozen=True)
class ResponseFor:
    """The document this one replies to."""

    organ_id: str
    code: str
    promulgation_date: date | None
    document_id: str


@dataclass(frozen=True)
class MessageHeader:
    from_: Organ
    to: tuple[Organ, ...]
    document_id: str
    code: Code
    promulgation_info: PromulgationInfo
    document_type: DocumentTypeInfo
    subject: str
    content: str = ""
    signer_info: SignerInfo | None = None
    due_date: date | None = None
    to_places: tuple[str, ...] = ()
    other_info: OtherInfo = field(default_factory=OtherInfo)
    response_for: ResponseFor | None = None
    steering_type: int = 0


@dataclass(frozen=True)
class TraceHeader:
    organ_id: str
    timestamp: datetime


@dataclass(frozen=True)
class TraceHeaderList:
    trace_headers: tuple[TraceHeader, ...] = ()
    business_doc_type: int = 0  # 0 new, 1 recall, 2 update, 3 replace
    business_doc_reason: str = ""


@dataclass(frozen=True)
class Attachment:
    content_id: str
    name: str
    content_type: str
    content: bytes
    sha256: str
    description: str = ""

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True)
class Package:
    header: MessageHeader
    trace: TraceHeaderList
    attachments: tuple[Attachment, ...]


def document_id_for(organ_id: str, on: date, code_number: str, code_notation: str) -> str:
    """`<OrganId>,<yyyy/MM/dd>,<number>/<notation>`: the de-facto global identity of a document,
    used for duplicate detection."""
    number = f"{code_number}/{code_notation}" if code_notation else code_number
    return f"{organ_id},{on.strftime(DATE_FORMAT)},{number}"


def priority_for_urgency(urgency: str) -> int:
    return _PRIORITY.get(urgency, 0)


# --- build ---------------------------------------------------------------------------------------
def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _sub(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, _q(name))
    if text is not None:
        element.text = text
    return element


def _organ(parent: ET.Element, name: str, organ: Organ) -> None:
    node = _sub(parent, name)
    _sub(node, "OrganId", organ.organ_id)
    _sub(node, "OrganizationInCharge", organ.organization_in_charge)
    _sub(node, "OrganName", organ.organ_name)
    _sub(node, "OrganAdd", organ.address)
    _sub(node, "Email", organ.email)
    _sub(node, "Telephone", organ.telephone)
    _sub(node, "Fax", organ.fax)
    _sub(node, "Website", organ.website)


def package_serialize(package: Package) -> bytes:
    """The package as UTF-8 XML bytes (what `edxml_build` writes)."""
    header = package.header
    root = ET.Element(_q("edXMLEnvelope"))
    head = _sub(root, "edXMLHeader")
    message = _sub(head, "MessageHeader")
    _organ(message, "From", header.from_)
    for organ in header.to:
        _organ(message, "To", organ)
    _sub(message, "DocumentId", header.document_id)
    code = _sub(message, "Code")
    _sub(code, "CodeNumber", header.code.code_number)
    _sub(code, "CodeNotation", header.code.code_notation)
    info = _sub(message, "PromulgationInfo")
    _sub(info, "Place", header.promulgation_info.place)
    _sub(info, "PromulgationDate", header.promulgation_info.promulgation_date.strftime(DATE_FORMAT))
    kind = _sub(message, "DocumentType")
    _sub(kind, "Type", header.document_type.type)
    _sub(kind, "TypeDetail", header.document_type.type_detail)
    _sub(kind, "TypeName", header.document_type.type_name)
    _sub(message, "Subject", header.subject)
    _sub(message, "Content", header.content)
    if header.signer_info is not None:
        signer = _sub(message, "SignerInfo")
        _sub(signer, "Competence", header.signer_info.competence)
        _sub(signer, "Position", header.signer_info.position)
        _sub(signer, "FullName", header.signer_info.full_name)
    if header.due_date is not None:
        _sub(message, "DueDate", header.due_date.strftime(DATE_FORMAT))
    places = _sub(message, "ToPlaces")
    for place in header.to_places:
        _sub(places, "Place", place)
    other = _sub(message, "OtherInfo")
    _sub(other, "Priority", str(header.other_info.priority))
    _sub(other, "SphereOfPromulgation", header.other_info.sphere_of_promulgation)
    _sub(other, "TyperNotation", header.other_info.typer_notation)
    if header.other_info.promulgation_amount is not None:
        _sub(other, "PromulgationAmount", str(header.other_info.promulgation_amount))
    if header.other_info.page_amount is not None:
        _sub(other, "PageAmount", str(header.other_info.page_amount))
    _sub(other, "Appendixes", str(header.other_info.appendixes))
    if header.response_for is not None:
        reply = _sub(message, "ResponseFor")
        _sub(reply, "OrganId", header.response_for.organ_id)
        _sub(reply, "Code", header.response_for.code)
        if header.response_for.promulgation_date is not None:
            _sub(
                reply,
                "PromulgationDate",
                header.response_for.promulgation_date.strftime(DATE_FORMAT),
            )
        _sub(reply, "DocumentId", header.response_for.document_id)
    _sub(message, "SteeringType", str(header.steering_type))

    traces = _sub(head, "TraceHeaderList")
    for trace in package.trace.trace_headers:
        node = _sub(traces, "TraceHeader")
        _sub(node, "OrganId", trace.organ_id)
        _sub(node, "Timestamp", trace.timestamp.isoformat())
    business = _sub(traces, "Bussiness")
    _sub(business, "BussinessDocType", str(package.trace.business_doc_type))
    _sub(business, "BussinessDocReason", package.trace.business_doc_reason)

    body = _sub(root, "edXMLBody")
    manifest = _sub(body, "edXMLManifest")
    encoded = _sub(root, "AttachmentEncoded")
    for attachment in package.attachments:
        reference = _sub(manifest, "Reference")
        _sub(reference, "ContentId", attachment.content_id)
        _sub(reference, "AttachmentName", attachment.name)
        _sub(reference, "ContentType", attachment.content_type)
        _sub(reference, "Description", attachment.description)
        _sub(reference, "Size", str(attachment.size))
        _sub(reference, "DigestValue", attachment.sha256)
        item = _sub(encoded, "Attachment")
        _sub(item, "ContentId", attachment.content_id)
        _sub(item, "Value", base64.b64encode(attachment.content).decode("ascii"))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _organ_of(organization: Any) -> Organ:
    return Organ(
        organ_id=organization.qcvn_code or organization.code,
        organ_name=organization.name_vi,
        organization_in_charge=organization.parent.name_vi if organization.parent_id else "",
        address=organization.address,
        email=organization.email,
        telephone=organization.phone,
        website=organization.website,
    )


def _recipients(document: Any) -> tuple[tuple[Organ, ...], tuple[str, ...]]:
    """To: the coded lines of "Nơi nhận" (resolved to the QCVN code when the organisation is
    in our directory); ToPlaces: every line as printed."""
    from egov.directory.models import Organization
    from egov.documents.services.outgoing import recipients_parse

    to: list[Organ] = []
    places: list[str] = []
    seen: set[str] = set()
    for recipient in recipients_parse(document.recipients_text):
        places.append(recipient.name)
        if not recipient.code:
            continue
        known = (
            Organization.objects.filter(code=recipient.code).first()
            or Organization.objects.filter(qcvn_code=recipient.code).first()
        )
        organ = _organ_of(known) if known is not None else Organ(recipient.code, recipient.name)
        if organ.organ_id not in seen:
            seen.add(organ.organ_id)
            to.append(organ)
    return tuple(to), tuple(places)


def edxml_build(document: Any) -> bytes:
    """The edXML package of an ISSUED outgoing document, with its main, appendix and signed
    files; refuses any other document (`exchange.not_issued`, `exchange.no_recipient`)."""
    from egov.documents.models import Direction, DocumentFile, State, signer_position_split

    if document.direction != Direction.OUTGOING or document.state != State.ISSUED:
        raise EdxmlInvalid(
            gettext("Only an issued outgoing document can be sent: %(document)s is %(state)s.")
            % {"document": str(document), "state": document.get_state_display()},
            code="exchange.not_issued",
        )
    if document.issued_on is None:
        raise EdxmlInvalid(
            gettext("The document has no issue date."),
            code="exchange.not_issued",
            field="PromulgationDate",
        )
    sender = _organ_of(document.organization)
    to, places = _recipients(document)
    if not to:
        raise EdxmlInvalid(
            gettext("The document has no recipient with an organisation code."),
            code="exchange.no_recipient",
            field="To",
        )
    authority, position = signer_position_split(document.signer_position)
    files = list(
        DocumentFile.objects.select_related("file")
        .filter(
            document=document,
            role__in=[
                DocumentFile.Role.MAIN,
                DocumentFile.Role.APPENDIX,
                DocumentFile.Role.SIGNED,
            ],
        )
        .order_by("added_at", "pk")
    )
    order: dict[str, int] = {
        DocumentFile.Role.MAIN: 0,
        DocumentFile.Role.APPENDIX: 1,
        DocumentFile.Role.SIGNED: 2,
    }
    files.sort(key=lambda f: order[f.role])
    attachments = []
    for number, item in enumerate(files, start=1):
        with file_open(item.file) as handle:
            content = handle.read()
        attachments.append(
            Attachment(
                content_id=f"cid:{number}",
                name=item.file.original_name,
                content_type=item.file.content_type,
                content=content,
                sha256=hashlib.sha256(content).hexdigest(),
                description=item.get_role_display(),
            )
        )
    reply = document.reply_to
    response_for = None
    if reply is not None:
        reply_organ = reply.issuer_code or (
            (reply.organization.qcvn_code or reply.organization.code)
            if reply.direction == Direction.OUTGOING
            else ""
        )
        response_for = ResponseFor(
            organ_id=reply_organ,
            code=reply.number_notation,
            promulgation_date=reply.issued_on,
            document_id=document_id_for(
                reply_organ, reply.issued_on, reply.code_number, reply.code_notation
            )
            if reply.issued_on
            else "",
        )
    from egov.documents import drafting

    type_codes = getattr(settings, "EGOV_EDXML_DOCUMENT_TYPES", {}) or {}
    header = MessageHeader(
        from_=sender,
        to=to,
        document_id=document_id_for(
            sender.organ_id, document.issued_on, document.code_number, document.code_notation
        ),
        code=Code(document.code_number, document.code_notation),
        promulgation_info=PromulgationInfo(drafting.place_name(), document.issued_on),
        document_type=DocumentTypeInfo(
            type=str(type_codes.get(document.document_type.code, "1")),
            type_detail=document.document_type.code,
            type_name=document.document_type.name_vi,
        ),
        subject=document.subject,
        content=document.description,
        signer_info=SignerInfo(authority, position, document.signer_name),
        due_date=document.due_on,
        to_places=places,
        other_info=OtherInfo(
            priority=priority_for_urgency(document.urgency),
            promulgation_amount=document.issued_amount,
            page_amount=document.page_count,
            appendixes=sum(1 for f in files if f.role == DocumentFile.Role.APPENDIX),
        ),
        response_for=response_for,
    )
    at = document.issued_at or timezone.now()
    trace = TraceHeaderList(
        trace_headers=(TraceHeader(sender.organ_id, timezone.localtime(at)),),
        business_doc_type=0,
    )
    return package_serialize(Package(header, trace, tuple(attachments)))


# --- parse ---------------------------------------------------------------------------------------
class _Refused(Exception):
    pass


def _invalid(message: str, *, element: str = "", code: str = "exchange.invalid") -> EdxmlInvalid:
    return EdxmlInvalid(message, code=code, field=element or None, details={"element": element})


def _refuse_declarations(data: bytes) -> None:
    """Check well-formedness and refuse DOCTYPE / entity declarations before building a tree."""
    parser = xml.parsers.expat.ParserCreate()

    def refuse(*args: object) -> None:
        raise _Refused

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        raise _invalid(
            gettext("The package must not contain a DOCTYPE or entity declarations."),
            element="DOCTYPE",
        ) from exc
    except (xml.parsers.expat.ExpatError, UnicodeError, LookupError, ValueError) as exc:
        raise _invalid(
            gettext("The package is not well-formed XML: %(reason)s") % {"reason": str(exc)}
        ) from exc


class _Reader:
    """Reads child elements by their local name, naming the full path in every refusal."""

    def __init__(self, element: ET.Element, path: str) -> None:
        self.element = element
        self.path = path

    def _child_path(self, name: str) -> str:
        return f"{self.path}/{PREFIX}:{name}"

    def all(self, name: str) -> list[_Reader]:
        return [_Reader(e, self._child_path(name)) for e in self.element.findall(_q(name))]

    def one(self, name: str) -> _Reader:
        found = self.maybe(name)
        if found is None:
            raise _invalid(
                gettext("Missing element %(element)s.") % {"element": self._child_path(name)},
                element=self._child_path(name),
            )
        return found

    def maybe(self, name: str) -> _Reader | None:
        found = self.element.findall(_q(name))
        if len(found) > 1:
            path = self._child_path(name)
            raise _invalid(
                gettext("Element %(element)s appears more than once.") % {"element": path},
                element=path,
            )
        return _Reader(found[0], self._child_path(name)) if found else None

    def text(self, name: str, *, required: bool = False) -> str:
        child = self.one(name) if required else self.maybe(name)
        value = (child.element.text or "").strip() if child is not None else ""
        if required and not value:
            path = self._child_path(name)
            raise _invalid(
                gettext("Element %(element)s is empty.") % {"element": path}, element=path
            )
        return value

    def date(self, name: str, *, required: bool = False) -> date | None:
        value = self.text(name, required=required)
        if not value:
            return None
        try:
            match = _DATE.fullmatch(value)
            if match is None:
                raise ValueError(value)
            return date(int(match["y"]), int(match["m"]), int(match["d"]))
        except ValueError as exc:
            path = self._child_path(name)
            raise _invalid(
                gettext("Element %(element)s is not a date (yyyy/MM/dd): %(value)s")
                % {"element": path, "value": value[:40]},
                element=path,
            ) from exc

    def integer(self, name: str) -> int | None:
        value = self.text(name)
        if not value:
            return None
        if not value.isascii() or not value.isdigit() or len(value) > 12:
            path = self._child_path(name)
            raise _invalid(
                gettext("Element %(element)s is not a whole number: %(value)s")
                % {"element": path, "value": value[:40]},
                element=path,
            )
        return int(value)


def _read_organ(reader: _Reader) -> Organ:
    return Organ(
        organ_id=reader.text("OrganId", required=True),
        organ_name=reader.text("OrganName", required=True),
        organization_in_charge=reader.text("OrganizationInCharge"),
        address=reader.text("OrganAdd"),
        email=reader.text("Email"),
        telephone=reader.text("Telephone"),
        fax=reader.text("Fax"),
        website=reader.text("Website"),
    )


def _read_header(root: _Reader) -> tuple[MessageHeader, TraceHeaderList]:
    head = root.one("edXMLHeader")
    message = head.one("MessageHeader")
    to = tuple(_read_organ(r) for r in message.all("To"))
    if not to:
        raise _invalid(
            gettext("Missing element %(element)s.") % {"element": message._child_path("To")},
            element=message._child_path("To"),
        )
    code = message.one("Code")
    info = message.one("PromulgationInfo")
    promulgated = info.date("PromulgationDate", required=True)
    assert promulgated is not None
    kind = message.one("DocumentType")
    signer = message.maybe("SignerInfo")
    places = message.maybe("ToPlaces")
    other = message.maybe("OtherInfo")
    reply = message.maybe("ResponseFor")
    header = MessageHeader(
        from_=_read_organ(message.one("From")),
        to=to,
        document_id=message.text("DocumentId"),
        code=Code(code.text("CodeNumber", required=True), code.text("CodeNotation")),
        promulgation_info=PromulgationInfo(info.text("Place"), promulgated),
        document_type=DocumentTypeInfo(
            type=kind.text("Type"),
            type_detail=kind.text("TypeDetail"),
            type_name=kind.text("TypeName", required=True),
        ),
        subject=message.text("Subject", required=True),
        content=message.text("Content"),
        signer_info=SignerInfo(
            signer.text("Competence"), signer.text("Position"), signer.text("FullName")
        )
        if signer is not None
        else None,
        due_date=message.date("DueDate"),
        to_places=tuple(
            (p.element.text or "").strip() for p in (places.all("Place") if places else [])
        ),
        other_info=OtherInfo(
            priority=other.integer("Priority") or 0,
            sphere_of_promulgation=other.text("SphereOfPromulgation"),
            typer_notation=other.text("TyperNotation"),
            promulgation_amount=other.integer("PromulgationAmount"),
            page_amount=other.integer("PageAmount"),
            appendixes=other.integer("Appendixes") or 0,
        )
        if other is not None
        else OtherInfo(),
        response_for=ResponseFor(
            organ_id=reply.text("OrganId"),
            code=reply.text("Code"),
            promulgation_date=reply.date("PromulgationDate"),
            document_id=reply.text("DocumentId"),
        )
        if reply is not None
        else None,
        steering_type=message.integer("SteeringType") or 0,
    )
    traces = head.maybe("TraceHeaderList")
    trace = TraceHeaderList()
    if traces is not None:
        items = []
        for node in traces.all("TraceHeader"):
            stamp = node.text("Timestamp", required=True)
            try:
                at = datetime.fromisoformat(stamp)
            except ValueError as exc:
                path = node._child_path("Timestamp")
                raise _invalid(
                    gettext("Element %(element)s is not a date and time (ISO 8601): %(value)s")
                    % {"element": path, "value": stamp[:40]},
                    element=path,
                ) from exc
            if timezone.is_naive(at):
                at = timezone.make_aware(at)
            items.append(TraceHeader(node.text("OrganId", required=True), at))
        business = traces.maybe("Bussiness")
        trace = TraceHeaderList(
            trace_headers=tuple(items),
            business_doc_type=(business.integer("BussinessDocType") or 0) if business else 0,
            business_doc_reason=business.text("BussinessDocReason") if business else "",
        )
    return header, trace


def _read_attachments(root: _Reader, *, max_attachment_bytes: int) -> tuple[Attachment, ...]:
    manifest = root.one("edXMLBody").one("edXMLManifest")
    references: dict[str, _Reader] = {}
    for reference in manifest.all("Reference"):
        cid = reference.text("ContentId", required=True)
        if cid in references:
            raise _invalid(
                gettext("Attachment %(name)s is listed twice in the manifest.") % {"name": cid},
                element=reference._child_path("ContentId"),
            )
        references[cid] = reference
    encoded = root.maybe("AttachmentEncoded")
    values: dict[str, _Reader] = {}
    for item in encoded.all("Attachment") if encoded is not None else []:
        cid = item.text("ContentId", required=True)
        if cid not in references or cid in values:
            raise _invalid(
                gettext("Attachment %(name)s has no single reference in the manifest.")
                % {"name": cid},
                element=item._child_path("ContentId"),
            )
        values[cid] = item
    out = []
    for cid, reference in references.items():
        name = reference.text("AttachmentName", required=True)
        found = values.get(cid)
        if found is None:
            raise _invalid(
                gettext("Attachment %(name)s is in the manifest but not in the package.")
                % {"name": name},
                element=f"{root.path}/{PREFIX}:AttachmentEncoded",
            )
        raw = "".join((found.one("Value").element.text or "").split())
        if len(raw) // 4 * 3 > max_attachment_bytes + 2:
            raise _invalid(
                gettext("Attachment %(name)s is larger than %(limit)s bytes.")
                % {"name": name, "limit": max_attachment_bytes},
                element=found._child_path("Value"),
                code="exchange.too_large",
            )
        try:
            content = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise _invalid(
                gettext("Attachment %(name)s is not valid base64.") % {"name": name},
                element=found._child_path("Value"),
            ) from exc
        if len(content) > max_attachment_bytes:
            raise _invalid(
                gettext("Attachment %(name)s is larger than %(limit)s bytes.")
                % {"name": name, "limit": max_attachment_bytes},
                element=found._child_path("Value"),
                code="exchange.too_large",
            )
        digest = reference.text("DigestValue", required=True).lower()
        actual = hashlib.sha256(content).hexdigest()
        if actual != digest:
            raise _invalid(
                gettext("The SHA-256 of attachment %(name)s does not match the manifest.")
                % {"name": name},
                element=reference._child_path("DigestValue"),
                code="exchange.hash_mismatch",
            )
        size = reference.integer("Size")
        if size is not None and size != len(content):
            raise _invalid(
                gettext("The size of attachment %(name)s does not match the manifest.")
                % {"name": name},
                element=reference._child_path("Size"),
            )
        out.append(
            Attachment(
                content_id=cid,
                name=name,
                content_type=reference.text("ContentType", required=True),
                content=content,
                sha256=actual,
                description=reference.text("Description"),
            )
        )
    return tuple(out)


def edxml_parse(
    data: bytes,
    *,
    max_bytes: int = MAX_PACKAGE_BYTES,
    max_attachment_bytes: int = MAX_ATTACHMENT_BYTES,
) -> Package:
    """Validate a received package strictly and return its content; any fault raises
    `EdxmlInvalid` (`exchange.invalid`, `exchange.too_large`, `exchange.hash_mismatch`) whose
    message and `field` name the element, so that the sender gets a precise refusal."""
    if len(data) > max_bytes:
        raise _invalid(
            gettext("The package is larger than %(limit)s bytes.") % {"limit": max_bytes},
            code="exchange.too_large",
        )
    _refuse_declarations(data)
    try:
        # Safe: _refuse_declarations has refused any DOCTYPE or entity declaration.
        element = ET.fromstring(data)  # noqa: S314
    except ET.ParseError as exc:  # pragma: no cover - expat accepted it above
        raise _invalid(
            gettext("The package is not well-formed XML: %(reason)s") % {"reason": str(exc)}
        ) from exc
    if element.tag != _q("edXMLEnvelope"):
        expected = f"{PREFIX}:edXMLEnvelope"
        raise _invalid(
            gettext("The root element must be %(element)s in namespace %(namespace)s.")
            % {"element": expected, "namespace": NS},
            element=expected,
        )
    root = _Reader(element, f"/{PREFIX}:edXMLEnvelope")
    header, trace = _read_header(root)
    attachments = _read_attachments(root, max_attachment_bytes=max_attachment_bytes)
    return Package(header, trace, attachments)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {
            name.rstrip("_"): _json_value(getattr(value, name))
            for name in value.__dataclass_fields__
        }
    return value


def package_to_dict(package: Package) -> dict[str, Any]:
    """Header, trace and attachments (name, type, size, sha256 — never the content) for JSON."""
    return {
        "header": _json_value(package.header),
        "trace": _json_value(package.trace),
        "attachments": [
            {
                "content_id": a.content_id,
                "name": a.name,
                "content_type": a.content_type,
                "description": a.description,
                "size": a.size,
                "sha256": a.sha256,
            }
            for a in package.attachments
        ],
    }
