"""Procedures in the accent-insensitive search index (egov.core.search).

One entry per procedure, built from the version the public sees (the published one, else the
latest): people type "cap phep xay dung" and find "Cấp giấy phép xây dựng"; the code, the
field and the organisations are searchable too. The services re-index a procedure whenever a
version is written, published or unpublished; the public selector keeps only published ones.
"""

from __future__ import annotations

from egov.core.search import search_register
from egov.procedures.models import Procedure, ProcedureVersion

SEARCH_KIND = "procedures.procedure"


def _indexed_version(procedure: Procedure) -> ProcedureVersion | None:
    # A revision waiting to be published must not change what the public finds.
    return procedure.published_version or procedure.latest_version


def procedure_search_title(procedure: Procedure) -> str:
    version = _indexed_version(procedure)
    return version.name if version is not None else procedure.code


def procedure_search_text(procedure: Procedure) -> str:
    version = _indexed_version(procedure)
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
