"""Procedures in the accent-insensitive search index (egov.core.search).

One entry per procedure, built from its latest version: people type "cap phep xay dung" and
find "Cấp giấy phép xây dựng"; the code, the field and the organisations are searchable too.
The public selector keeps only published procedures.
"""

from __future__ import annotations

from egov.core.search import search_register
from egov.procedures.models import Procedure

SEARCH_KIND = "procedures.procedure"


def procedure_search_title(procedure: Procedure) -> str:
    version = procedure.latest_version
    return version.name if version is not None else procedure.code


def procedure_search_text(procedure: Procedure) -> str:
    version = procedure.latest_version
    if version is None:
        return procedure.code
    parts = [
        procedure.code,
        version.field.code,
        version.field.name,
        version.competent_text,
        version.executing_text,
        version.result,
        " ".join(version.subjects),
    ]
    return "\n".join(p for p in parts if p)


search_register(SEARCH_KIND, Procedure, procedure_search_text, procedure_search_title)
