"""Every write on the directory, one function per use case (STYLE.md §1).

Split by subject into modules; import from here: `from egov.directory import services`.
"""

from egov.directory.services.accounts import (
    account_authenticate,
    account_password_change,
    account_password_set,
    account_record_sign_in,
    account_totp_begin,
    account_totp_confirm,
    account_totp_required,
    account_totp_reset,
    account_totp_uri,
    account_totp_verify,
    account_unlock,
)
from egov.directory.services.apikeys import apikey_create, apikey_mark_used, apikey_revoke
from egov.directory.services.applicants import (
    applicant_record_online,
    applicant_record_walk_in,
    applicant_register_business,
    applicant_register_citizen,
)
from egov.directory.services.officers import (
    delegation_create,
    delegation_revoke,
    officer_create,
    officer_update,
    role_assign,
    role_revoke,
)
from egov.directory.services.organizations import (
    organization_create,
    organization_move,
    organization_succeed,
    organization_update,
    position_save,
)

__all__ = [
    "applicant_record_online",
    "applicant_record_walk_in",
    "account_authenticate",
    "account_password_change",
    "account_password_set",
    "account_record_sign_in",
    "account_totp_begin",
    "account_totp_confirm",
    "account_totp_required",
    "account_totp_reset",
    "account_totp_uri",
    "account_totp_verify",
    "account_unlock",
    "apikey_create",
    "apikey_mark_used",
    "apikey_revoke",
    "applicant_register_business",
    "applicant_register_citizen",
    "delegation_create",
    "delegation_revoke",
    "officer_create",
    "officer_update",
    "organization_create",
    "organization_move",
    "organization_succeed",
    "organization_update",
    "position_save",
    "role_assign",
    "role_revoke",
]
