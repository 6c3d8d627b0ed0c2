"""Who may pay a dossier's fees without an account: a signed, short-lived proof.

The public status page checks the dossier code plus the applicant's phone or ID number; it
then links to the payment page with `payment_access_token(dossier)`. The payment views keep
the proven dossier ids in the session, so the return page and the receipt download work for
the same browser. A token is bound to the dossier's code and look-up code, so it cannot be
moved to another dossier.
"""

from __future__ import annotations

from django.core import signing

from egov.dossiers.models import Dossier
from egov.payments import conf

_SALT = "egov.payments.access"
SESSION_KEY = "egov.payments.dossiers"


def payment_access_token(dossier: Dossier) -> str:
    return signing.dumps({"c": dossier.code, "l": dossier.lookup_code}, salt=_SALT)


def payment_access_valid(token: str, dossier: Dossier) -> bool:
    if not token:
        return False
    try:
        data = signing.loads(token, salt=_SALT, max_age=conf.access_max_age())
    except signing.BadSignature:
        return False
    return (
        isinstance(data, dict)
        and data.get("c") == dossier.code
        and data.get("l") == dossier.lookup_code
    )
