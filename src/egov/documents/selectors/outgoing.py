"""Reads of the outgoing side: the approval chain, the current step, versions, lists."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum

from egov.directory import policy
from egov.directory import selectors as directory
from egov.directory.models import Delegation, Officer, Organization, Role
from egov.documents.models import (
    ApprovalChain,
    ApprovalStep,
    CaseFile,
    Comment,
    Delivery,
    Direction,
    Document,
    DocumentFile,
    DocumentType,
    State,
)

__all__ = [
    "DEFAULT_CHAIN",
    "CaseFileRow",
    "case_file_documents",
    "case_file_index",
    "approval_chain_for",
    "approval_rounds",
    "approval_step_current",
    "approver_candidates",
    "approvals_waiting_for",
    "draft_comments",
    "draft_file_current",
    "draft_files",
    "outgoing_deliveries",
    "outgoing_list",
]

DEFAULT_CHAIN: tuple[str, ...] = (ApprovalStep.Kind.REVIEW, ApprovalStep.Kind.SIGN)


def approval_chain_for(organization: Organization, document_type: DocumentType) -> list[str]:
    """The ordered step kinds for this organisation and type: the type's own chain, else the
    organisation's chain for every type, else review by the unit head then sign."""
    chains = {
        c.document_type_id: c
        for c in ApprovalChain.objects.filter(organization=organization).filter(
            Q(document_type=document_type) | Q(document_type__isnull=True)
        )
    }
    chain = chains.get(document_type.pk) or chains.get(None)
    steps = [str(s) for s in (chain.steps if chain else DEFAULT_CHAIN)]
    return [s for s in steps if s in ApprovalStep.Kind.values] or list(DEFAULT_CHAIN)


def approver_candidates(document: Document, kind: str) -> list[Officer]:
    """Who may be named for a step: heads of the drafting unit (review), heads of the
    organisation (sign), clerks of the organisation (format). Nearest first."""
    organization = document.organization
    target = document.drafting_unit or organization
    if kind == ApprovalStep.Kind.FORMAT:
        role, over = Role.CLERK, organization
    elif kind == ApprovalStep.Kind.REVIEW:
        role, over = Role.HEAD, target
    else:
        role, over = Role.HEAD, organization
    officers = (
        Officer.objects.select_related("unit", "position", "account")
        .filter(is_active=True, account__is_active=True, roles__role=role)
        .filter(unit__path__startswith=organization.path)
        .distinct()
    )
    found = [o for o in officers if policy.has_role(o, role, over=over)]
    if kind == ApprovalStep.Kind.SIGN:
        found = [
            o
            for o in found
            if any(a.role == Role.HEAD and a.scope != "unit" for a in directory.officer_roles(o))
        ]
    found.sort(key=lambda o: (o.unit_id != target.pk, o.position.rank, o.full_name, o.pk))
    return found


def approval_rounds(document: Document) -> list[ApprovalStep]:
    return list(
        ApprovalStep.objects.select_related("approver", "acted_by")
        .filter(document=document)
        .order_by("round", "order")
    )


def approval_step_current(document: Document) -> ApprovalStep | None:
    """The step waiting for a decision in the last round, or None."""
    last = ApprovalStep.objects.filter(document=document).order_by("-round").values("round").first()
    if last is None:
        return None
    return (
        ApprovalStep.objects.select_related("approver__account", "approver__position")
        .filter(document=document, round=last["round"], outcome=ApprovalStep.Outcome.PENDING)
        .order_by("order")
        .first()
    )


def approvals_waiting_for(officer: Officer) -> list[ApprovalStep]:
    """Steps waiting for this officer's decision: their own, and those of heads who delegated
    the power to approve (or to sign, for a signing step) to them."""
    delegators = {
        d.delegator_id: d.power
        for power in (Delegation.Power.APPROVE, Delegation.Power.SIGN)
        for d in directory.delegations_active(officer, power)
    }
    approvers = {officer.pk, *delegators}
    steps = (
        ApprovalStep.objects.select_related(
            "document__document_type", "document__drafting_unit", "approver"
        )
        .filter(
            approver_id__in=approvers,
            outcome=ApprovalStep.Outcome.PENDING,
            document__state=State.IN_REVIEW,
        )
        .order_by("document__created_at", "pk")
    )
    waiting = []
    for step in steps:
        current = approval_step_current(step.document)
        if current is None or current.pk != step.pk:
            continue
        if step.approver_id != officer.pk:
            power = delegators.get(step.approver_id)
            if power == Delegation.Power.SIGN and step.kind != ApprovalStep.Kind.SIGN:
                # A signing delegation alone does not cover content review.
                covered = directory.delegations_active(officer, Delegation.Power.APPROVE)
                if not covered.filter(delegator_id=step.approver_id).exists():
                    continue
        waiting.append(step)
    return waiting


def draft_files(document: Document) -> list[DocumentFile]:
    """Every file of the document, draft versions in order, with who added them."""
    return list(
        DocumentFile.objects.select_related("file", "added_by")
        .filter(document=document)
        .order_by("added_at", "pk")
    )


def draft_file_current(document: Document) -> DocumentFile | None:
    """The newest draft version."""
    return (
        DocumentFile.objects.select_related("file")
        .filter(document=document, role=DocumentFile.Role.DRAFT)
        .order_by("-draft_version")
        .first()
    )


def draft_comments(document: Document) -> list[Comment]:
    return list(Comment.objects.select_related("author").filter(document=document))


def outgoing_list(
    organization: Organization, *, state: str = "", year: int | None = None
) -> QuerySet[Document]:
    """The organisation's outgoing documents, newest first (visibility is filtered by the
    caller with `document.read`)."""
    qs = Document.objects.select_related("document_type", "drafting_unit", "register").filter(
        organization=organization, direction=Direction.OUTGOING
    )
    if state:
        qs = qs.filter(state=state)
    if year:
        qs = qs.filter(Q(register_year=year) | Q(register_year__isnull=True, created_at__year=year))
    return qs.order_by("-issued_at", "-created_at", "-pk")


def outgoing_deliveries(document: Document) -> list[Delivery]:
    return list(Delivery.objects.select_related("recipient", "incoming").filter(document=document))


# --- case files: the two reports of the decree --------------------------------------------------


@dataclass(frozen=True)
class CaseFileRow:
    """One line of the case-file index (mục lục hồ sơ)."""

    case_file: CaseFile
    doc_total: int
    page_total: int


def case_file_index(organization: Organization, year: int) -> list[CaseFileRow]:
    """The yearly case-file index of the organisation, with DocTotal and PageTotal."""
    rows = (
        CaseFile.objects.filter(organization=organization, year=year)
        .select_related("owner")
        .annotate(doc_total=Count("documents"), page_total=Sum("documents__page_count"))
        .order_by("code")
    )
    return [
        CaseFileRow(
            r,
            int(r.doc_total),
            int(r.page_total or 0),
        )
        for r in rows
    ]


def case_file_documents(case_file: CaseFile) -> QuerySet[Document]:
    """The documents of one file in the order they were issued or arrived (DocOrdinal)."""
    return (
        Document.objects.filter(case_file=case_file)
        .select_related("document_type")
        .order_by("issued_on", "arrived_at", "created_at", "pk")
    )
