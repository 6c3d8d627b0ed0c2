"""Schemas shared by several routers (input and output schemas stay separate)."""

from __future__ import annotations

from ninja import Schema

from egov.api.problems import Problem

# The error answers every authenticated operation may give, for the OpenAPI document.
AUTH_ERRORS: dict[int, type[Schema]] = {401: Problem, 403: Problem}
LIST_ERRORS: dict[int, type[Schema]] = {**AUTH_ERRORS, 422: Problem}
READ_ERRORS: dict[int, type[Schema]] = {**LIST_ERRORS, 404: Problem}


class OrganizationRef(Schema):
    """A pointer to an organisation node: enough to show it and to fetch it."""

    code: str
    name_vi: str
    name_en: str
    kind: str
