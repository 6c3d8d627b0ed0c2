"""Dossiers in the accent-insensitive search index (egov.core.search).

One entry per dossier with what the counter types to find it: the code, the look-up code, the
applicant's name, national ID, tax code and phone as given at intake, and the procedure's name.
Officers type "nguyen thi lan" and find "Nguyễn Thị Lan"'s dossier. These fields are written
once, at intake (`services.dossier_receive` indexes the dossier there); the screens filter what
the index finds through `selectors.dossiers_visible_to`, so the index itself holds no access
rule.
"""

from __future__ import annotations

from egov.core.search import search_register
from egov.dossiers.models import Dossier

SEARCH_KIND = "dossiers.dossier"


def dossier_search_title(dossier: Dossier) -> str:
    return f"{dossier.code} {dossier.applicant_name}"


def dossier_search_text(dossier: Dossier) -> str:
    parts = [
        dossier.lookup_code,
        dossier.applicant_national_id,
        dossier.applicant_tax_code,
        dossier.applicant_phone,
        dossier.procedure_version.name,
    ]
    return "\n".join(p for p in parts if p)


search_register(SEARCH_KIND, Dossier, dossier_search_text, dossier_search_title)
