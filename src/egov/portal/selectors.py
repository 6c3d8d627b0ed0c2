"""What the public portal reads from the directory: only public facts about organisations.

Kept here (not in the directory) because "what the public may see" is the portal's decision;
nothing personal (officers, applicants) is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from egov.core.text import fold
from egov.directory.models import Organization

# The groups of the "organisations and contacts" page, in display order. Communes, wards and
# special zones form one group whatever their kind (their people's committees are commune-level).
GROUP_COMMITTEE = "committee"
GROUP_DEPARTMENT = "department"
GROUP_AGENCY = "agency"
GROUP_COMMUNE = "commune"
GROUP_OTHER = "other"
GROUP_LABELS = {
    GROUP_COMMITTEE: _("People's Committee"),
    GROUP_DEPARTMENT: _("Departments and equivalent bodies"),
    GROUP_AGENCY: _("Agencies and public service units"),
    GROUP_COMMUNE: _("Communes, wards and special zones"),
    GROUP_OTHER: _("Other organisations"),
}


def group_of(node: Organization) -> str:
    if node.level == Organization.Level.COMMUNE:
        return GROUP_COMMUNE
    by_kind: dict[str, str] = {
        Organization.Kind.PEOPLE_COMMITTEE: GROUP_COMMITTEE,
        Organization.Kind.DEPARTMENT: GROUP_DEPARTMENT,
        Organization.Kind.AGENCY: GROUP_AGENCY,
        Organization.Kind.COMMUNE: GROUP_COMMUNE,
    }
    return by_kind.get(node.kind, GROUP_OTHER)


@dataclass
class OrganizationGroup:
    key: str
    label: str
    members: list[Organization] = field(default_factory=list)


def _active() -> QuerySet[Organization]:
    return Organization.objects.filter(valid_to__isnull=True)


def group_nodes(nodes: list[Organization]) -> list[OrganizationGroup]:
    """Nodes into the page's groups; communes alphabetically (by folded name), others in tree
    order (the official order of the departments)."""
    groups = {key: OrganizationGroup(key, str(label)) for key, label in GROUP_LABELS.items()}
    for node in nodes:
        groups[group_of(node)].members.append(node)
    groups[GROUP_COMMUNE].members.sort(key=lambda node: fold(node.name_vi))
    return [group for group in groups.values() if group.members]


def organization_groups(query: str = "") -> list[OrganizationGroup]:
    """Active organisations (not their internal units), grouped, for the directory page.

    `query` filters by name, English name, abbreviation or code, ignoring case and diacritics
    ("so tu phap" finds "Sở Tư pháp"). One query; a province has a few hundred nodes at most.
    """
    nodes = list(_active().exclude(kind=Organization.Kind.UNIT).order_by("path"))
    needle = fold(query)
    if needle:
        nodes = [
            node
            for node in nodes
            if needle in fold(f"{node.name_vi} {node.name_en} {node.abbreviation} {node.code}")
        ]
    return group_nodes(nodes)


def organization_public(code: str) -> Organization | None:
    """One organisation or unit by code, with its parent and successor (ended ones too)."""
    return Organization.objects.select_related("parent", "successor").filter(code=code).first()


def organization_children(
    organization: Organization,
) -> tuple[list[Organization], list[Organization]]:
    """The active nodes directly under an organisation: (its own units, other organisations)."""
    children = list(_active().filter(parent=organization).order_by("path"))
    units = [node for node in children if node.kind == Organization.Kind.UNIT]
    others = [node for node in children if node.kind != Organization.Kind.UNIT]
    return units, others


def province_committee() -> Organization | None:
    """The root people's committee of the installation (the top of the tree), if set up."""
    return (
        _active().filter(depth=0, kind=Organization.Kind.PEOPLE_COMMITTEE).order_by("path").first()
    )
