"""How citizens and businesses prove who they are: the seam for identity providers.

Today there is one provider, `PasswordProvider`: the account's password, checked by
`services.account_authenticate` (with the same lockout as officers). The portal's sign-in view
asks the registry for providers and never calls the password check itself, so adding a
provider does not touch the view's logic.

The next provider is the national identity provider (VNeID, the Ministry of Public Security's
electronic identification, reached through the national public-service portal) over OpenID
Connect. It is deliberately *not* stubbed here; what it will need:

1. Configuration from the environment: issuer URL, client id, client secret or private-key
   JWT, redirect URI, scopes; discovery document and JWKS fetched and cached.
2. A redirect flow instead of a form: `begin(request)` stores `state`, `nonce` and a PKCE
   verifier in the session and redirects to the authorisation endpoint; a callback view calls
   `complete(request)`, which exchanges the code, validates the ID token (issuer, audience,
   expiry, nonce, signature) and reads the personal identification number claim.
3. Matching: find the `Applicant` by `national_id` (12 digits) and create the `Account` and
   `Applicant` on first sign-in through `services.applicant_register_citizen` (with an
   unusable password), recording `auth.signed_in` with method `oidc`.
4. Sign-out at the provider (end-session endpoint) as well as here.

So the protocol below has an `interactive` flag: form-based providers implement
`authenticate`; redirect-based ones will add `begin`/`complete` alongside, and the view will
offer them as buttons.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from django.utils.translation import gettext_lazy as _

from egov.directory import services
from egov.directory.models import Account

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class IdentityProvider(Protocol):
    """One way for an applicant to sign in."""

    @property
    def key(self) -> str:
        """Stable name, stored in the audit entry ("password", "oidc")."""
        ...

    @property
    def label(self) -> StrOrPromise:
        """Shown on the sign-in page."""
        ...

    @property
    def interactive(self) -> bool:
        """True when credentials are typed into our own form."""
        ...

    def authenticate(self, credentials: Mapping[str, str]) -> Account:
        """Return the signed-in account or raise `NotAuthenticated` with a stable code."""
        ...


class PasswordProvider:
    """User name (ID number or tax code) and password, with lockout after failures."""

    key = "password"
    label = _("ID number or tax code and password")
    interactive = True

    def authenticate(self, credentials: Mapping[str, str]) -> Account:
        return services.account_authenticate(
            username=credentials.get("username", "").strip(),
            password=credentials.get("password", ""),
            kind=Account.Kind.APPLICANT,
        )


_PROVIDERS: dict[str, IdentityProvider] = {}


def provider_register(provider: IdentityProvider) -> None:
    _PROVIDERS[provider.key] = provider


def provider_get(key: str) -> IdentityProvider:
    return _PROVIDERS[key]


def providers() -> list[IdentityProvider]:
    return list(_PROVIDERS.values())


provider_register(PasswordProvider())
