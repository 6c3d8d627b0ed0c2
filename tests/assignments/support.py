"""Shared data of the assignment tests (loaded by conftest as `assignments_support`)."""

from __future__ import annotations

from dataclasses import dataclass

from egov.directory.models import Officer, Organization


@dataclass
class World:
    """`committee` (UBND tỉnh) with units `office`, `economy`, `culture`; the chairman `head`
    (head over the organisation); unit heads and officers; `department` (Sở Xây dựng) is another
    organisation with its own head and officer; `outsider` works for an agency elsewhere."""

    committee: Organization
    office: Organization
    economy: Organization
    culture: Organization
    department: Organization
    dept_unit: Organization
    head: Officer
    economy_head: Officer
    economy_officer: Officer
    economy_officer2: Officer
    culture_head: Officer
    culture_officer: Officer
    dept_head: Officer
    dept_officer: Officer
    outsider: Officer
