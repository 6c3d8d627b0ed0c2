"""Shared data of the document tests (loaded by conftest as `documents_support`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from egov.directory.models import Officer, Organization
from egov.documents.models import DocumentType, Register

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def vn(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VN)


@dataclass
class DocWorld:
    """Two organisations on the platform, each with its registers and the people who act.

    `committee` (UBND tỉnh): office unit (`office`) with the clerk and the confidential clerk,
    two specialised units (`economy`, `culture`) with a unit head and an officer each, and the
    chairman (`head`, head over the organisation). `department` (Sở Xây dựng) is a second
    organisation with its own clerk, head and one unit with an officer.
    """

    root: Organization
    committee: Organization
    office: Organization
    economy: Organization
    culture: Organization
    department: Organization
    dept_unit: Organization
    clerk: Officer
    secret_clerk: Officer
    head: Officer
    deputy_head: Officer
    economy_head: Officer
    economy_officer: Officer
    culture_head: Officer
    culture_officer: Officer
    dept_clerk: Officer
    dept_head: Officer
    dept_officer: Officer
    outsider: Officer
    incoming: Register
    incoming_secret: Register
    outgoing: Register
    outgoing_secret: Register
    dept_incoming: Register
    dept_outgoing: Register

    def doc_type(self, code: str) -> DocumentType:
        return DocumentType.objects.get(code=code)
