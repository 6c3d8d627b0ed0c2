"""Shared data of the meeting tests (loaded by conftest as `meetings_support`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from egov.directory.models import Officer, Organization

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def vn(year: int, month: int, day: int, hour: int = 8, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VN)


@dataclass
class World:
    """`committee` (UBND tỉnh) with its `office` and `economy` units; `department` is another
    organisation. `head` and `clerk` edit the committee's calendar; `deputy` is a second head
    of the committee; `economy_head` heads the economy unit; `officer` and `colleague` are plain
    officers of the committee; `outsider` works for the department."""

    committee: Organization
    office: Organization
    economy: Organization
    department: Organization
    head: Officer
    deputy: Officer
    clerk: Officer
    economy_head: Officer
    officer: Officer
    colleague: Officer
    outsider: Officer
    outsider_head: Officer
