"""Words for the verification codes, shared by the page, the API's `label` fields and the CLI."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from egov.signing import verify

CHAIN_LABELS = {
    verify.TRUSTED: _("Trusted certificate"),
    verify.UNTRUSTED: _("Not trusted: unknown certification authority"),
    verify.EXPIRED: _("Certificate expired"),
    verify.REVOKED: _("Certificate revoked"),
    verify.INVALID: _("Invalid signature"),
}
MODIFICATION_LABELS = {
    verify.UNCHANGED: _("Not changed after signing"),
    verify.SIGNATURES_ADDED: _("Only further signatures added after signing"),
    verify.MODIFIED: _("Changed after signing"),
}
