"""Keys of integrating systems: shown once, kept only as a SHA-256."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from egov.core.audit import audit_record
from egov.core.errors import Conflict, ValidationFailed
from egov.directory import policy, selectors
from egov.directory.models import Account, ApiKey, Organization

PREFIX_BYTES = 5  # ten hex characters, fits ApiKey.prefix
SECRET_BYTES = 32
_TOUCH_EVERY = timedelta(minutes=1)


@transaction.atomic
def apikey_create(
    *,
    actor: Account | None,
    organization: Organization,
    name: str,
    scopes: Iterable[str] = (),
) -> tuple[ApiKey, str]:
    """Issue a key for one system of `organization`; returns the key and its raw text.

    The raw text `<prefix>.<secret>` is returned only here: we keep the prefix (to find the
    row) and the SHA-256 of the whole text (to check it). Lose it and issue a new one.
    """
    policy.require(actor, "directory.apikey.manage", organization)
    name = name.strip()
    if not name:
        raise ValidationFailed(
            gettext("Enter the name of the system that will use the key."),
            code="apikey.name_required",
            field="name",
        )
    prefix = secrets.token_hex(PREFIX_BYTES)
    while ApiKey.objects.filter(prefix=prefix).exists():  # pragma: no cover - 1 in 10^12
        prefix = secrets.token_hex(PREFIX_BYTES)
    raw = f"{prefix}{selectors.APIKEY_SEPARATOR}{secrets.token_urlsafe(SECRET_BYTES)}"
    api_key = ApiKey.objects.create(
        name=name,
        organization=organization,
        prefix=prefix,
        key_hash=selectors.apikey_hash(raw),
        scopes=sorted(set(scopes)),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    audit_record(
        actor=actor,
        action="directory.apikey.create",
        obj=api_key,
        after={
            "name": name,
            "organization": organization.pk,
            "prefix": prefix,
            "scopes": api_key.scopes,
        },
    )
    return api_key, raw


@transaction.atomic
def apikey_revoke(*, actor: Account | None, api_key: ApiKey, now: datetime | None = None) -> ApiKey:
    """Stop a key from working, for good."""
    api_key = ApiKey.objects.select_for_update().select_related("organization").get(pk=api_key.pk)
    policy.require(actor, "directory.apikey.manage", api_key)
    if api_key.revoked_at is not None:
        raise Conflict(gettext("This key was already revoked."), code="apikey.already_revoked")
    api_key.revoked_at = now or timezone.now()
    api_key.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="directory.apikey.revoke",
        obj=api_key,
        after={"revoked_at": api_key.revoked_at.isoformat()},
    )
    return api_key


def apikey_mark_used(*, api_key: ApiKey, now: datetime | None = None) -> None:
    """Note when a key was last used; at most one write a minute per key (no audit: a read)."""
    now = now or timezone.now()
    if api_key.last_used_at is not None and now - api_key.last_used_at < _TOUCH_EVERY:
        return
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    api_key.last_used_at = now
