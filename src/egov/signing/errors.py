"""The signing app's errors: each one a stable code and a message the signer understands.

Every refusal happens before anything is signed or written, so a caller that catches one of
these knows that no signature, record or audit entry exists.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from egov.core.errors import NotFound, PermissionDenied, ValidationFailed


class SigningError(ValidationFailed):
    code = "signing.failed"
    default_message = _("The document could not be signed.")


class WrongSecret(SigningError):
    code = "signing.wrong_secret"
    default_message = _("The password or PIN of the signing key is wrong.")


class CertificateExpired(SigningError):
    code = "signing.certificate_expired"
    default_message = _("The signing certificate has expired or is not valid yet.")


class CertificateRevoked(SigningError):
    code = "signing.certificate_revoked"
    default_message = _("The signing certificate has been revoked.")


class CorruptPdf(SigningError):
    code = "signing.corrupt_pdf"
    default_message = _("The file is not a readable PDF document.")


class EncryptedPdf(SigningError):
    code = "signing.encrypted_pdf"
    default_message = _("The PDF is encrypted or password-protected; remove the protection first.")


class BrokenSignature(SigningError):
    code = "signing.broken_signature"
    default_message = _(
        "The PDF carries a signature that is no longer valid (the document was changed after "
        "it was signed); it cannot be signed again."
    )


class NotSignedByCompetentPerson(SigningError):
    code = "signing.not_signed_by_competent_person"
    default_message = _(
        "The organisation's signature can only be applied to a document already signed by a "
        "competent person."
    )


class TimestampFailed(SigningError):
    code = "signing.timestamp_failed"
    status = 502
    default_message = _("The timestamp authority did not answer; nothing was signed.")


class TokenUnavailable(SigningError):
    code = "signing.token_unavailable"
    default_message = _("The signing token or HSM could not be reached.")


class KeyNotFound(NotFound):
    code = "signing.key_not_found"
    default_message = _("No usable signing key with this identifier.")


class VerificationFailed(ValidationFailed):
    code = "signing.verification_failed"
    default_message = _("The PDF could not be checked: it is damaged or too complex.")


__all__ = [
    "BrokenSignature",
    "CertificateExpired",
    "CertificateRevoked",
    "CorruptPdf",
    "EncryptedPdf",
    "KeyNotFound",
    "NotSignedByCompetentPerson",
    "PermissionDenied",
    "SigningError",
    "TimestampFailed",
    "TokenUnavailable",
    "VerificationFailed",
    "WrongSecret",
]
