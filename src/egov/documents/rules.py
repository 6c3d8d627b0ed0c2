"""Registers the document actions with `egov.directory.policy` (imported in AppConfig.ready)."""

from egov.documents import rules_incoming, rules_outgoing, rules_read  # noqa: F401
