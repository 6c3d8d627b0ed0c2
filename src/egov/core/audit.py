"""The audit log: who changed what, when, from where; hash-chained so that tampering shows.

Each entry carries the SHA-256 of a canonical JSON of its own fields plus the previous entry's
hash. Changing, inserting or deleting a row in the middle breaks the chain at that row, which
`audit_verify` (and `egov audit verify`) reports. The chain cannot show that the newest entries
were cut off: operators keep the tip hash printed by `egov audit verify` (e.g. in their
monitoring) and compare it with the next run.

Appends are serialised so that two writers never link to the same predecessor (a fork):
PostgreSQL takes a transaction-scoped advisory lock, SQLite already holds the database write
lock from BEGIN (our settings use IMMEDIATE transactions). The lock is held until the caller's
transaction ends, so services record the audit entry as their LAST write: that keeps the
province-wide queue short, and it keeps the lock order the same everywhere (row locks such as a
sequence counter first, the chain last), so two services cannot deadlock on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import json
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext

from egov.core import request_context
from egov.core.models import AuditEntry

GENESIS_HASH = "0" * 64
CHAIN_VERSION = 1
# pg_advisory_xact_lock key of the chain: the bytes of "egovaudi" as a signed 64-bit integer.
ADVISORY_LOCK_KEY = int.from_bytes(b"egovaudi", "big", signed=True)
MAX_TEXT = 500  # longest string kept in a summary; longer ones are cut with "…"
VERIFY_CHUNK = 2000
_MISSING = object()

_field_max = {f.name: getattr(f, "max_length", None) for f in AuditEntry._meta.get_fields()}


# --- summaries -------------------------------------------------------------------------------


def json_safe(value: Any) -> Any:
    """A value that survives a JSON column unchanged on both databases, so its hash stays valid.

    Dates and times become ISO strings (aware datetimes in UTC), Decimals, UUIDs and other
    non-integer numbers become strings (PostgreSQL's jsonb rewrites `1e+16` and `-0.0`), sets
    become sorted lists, strings are cut at MAX_TEXT characters and NUL characters (refused by
    jsonb) are replaced. Model instances become their primary key.
    """
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, enum.Enum):
        return json_safe(value.value)
    if isinstance(value, str | Promise):
        return _text(str(value))
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID | dt.timedelta):
        return str(value)
    if isinstance(value, models.Model):
        return json_safe(value.pk)
    if isinstance(value, Mapping):
        return {_text(str(k)): json_safe(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((json_safe(v) for v in value), key=_sort_key)
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return json_safe(str(value))


def _text(text: str) -> str:
    text = text.replace("\x00", "\ufffd")
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def diff_summary(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> dict[str, dict[str, Any]]:
    """Only what changed: `{"before": {key: old}, "after": {key: new}}`.

    Values are compared after `json_safe`, so a date and its ISO string count as equal. A key
    present on one side only appears on that side only.
    """
    old = json_safe(dict(before or {}))
    new = json_safe(dict(after or {}))
    changed = [k for k in sorted(old.keys() | new.keys()) if old.get(k, _MISSING) != new.get(k)]
    return {
        "before": {k: old[k] for k in changed if k in old},
        "after": {k: new[k] for k in changed if k in new},
    }


def _build_summary(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, note: str
) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    if before is not None and after is not None:
        summary.update(diff_summary(before, after))
    elif after is not None:
        summary["after"] = json_safe(dict(after))
    elif before is not None:
        summary["before"] = json_safe(dict(before))
    if note:
        summary["note"] = json_safe(note)
    return summary


# --- hashing ---------------------------------------------------------------------------------


def _canonical_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def entry_hash(entry: AuditEntry) -> str:
    """SHA-256 of the canonical JSON of the entry's fields and its predecessor's hash."""
    payload = {
        "v": CHAIN_VERSION,
        "created_at": _canonical_time(entry.created_at),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "summary": entry.summary,
        "request_id": entry.request_id,
        "ip": entry.ip,
        "prev_hash": entry.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- writing ---------------------------------------------------------------------------------


def _cut(value: str, field: str) -> str:
    limit = _field_max.get(field) or len(value)
    return value.replace("\x00", "\ufffd")[:limit]


def _actor_fields(actor: Any) -> tuple[int | None, str]:
    if actor is None:
        return None, ""
    if getattr(actor, "is_anonymous", False):
        return None, "anonymous"
    pk = getattr(actor, "pk", None)
    actor_id = pk if isinstance(pk, int) and not isinstance(pk, bool) else None
    label = ""
    full_name = getattr(actor, "get_full_name", None)
    if callable(full_name):
        label = str(full_name() or "").strip()
    if not label:
        label = str(actor)
    return actor_id, label


def _object_fields(
    obj: models.Model | None, object_type: str | None, object_id: str | None
) -> tuple[str, str]:
    if obj is not None:
        if obj.pk is None:
            raise ValueError("audit_record(obj=…) needs a saved object")
        object_type = object_type or obj._meta.label_lower
        object_id = object_id if object_id is not None else str(obj.pk)
    obj_type = object_type or ""
    obj_id = str(object_id) if object_id is not None else ""
    if len(obj_type) > (_field_max["object_type"] or 100) or len(obj_id) > (
        _field_max["object_id"] or 64
    ):
        raise ValueError("audit_record(): object_type or object_id too long for the audit log")
    return obj_type, obj_id


def _lock_chain(using: str) -> None:
    """Serialise appends until the caller's transaction ends (see the module docstring)."""
    conn = transaction.get_connection(using)
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
    elif conn.vendor != "sqlite":  # pragma: no cover - the platform supports these two
        raise NotImplementedError(f"audit chain locking is not implemented for {conn.vendor}")


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    note: str = "",
    using: str = "default",
) -> AuditEntry:
    """Append one entry to the audit log, inside the caller's transaction.

    `actor` is None for the system, or an account (its `pk` and full name are kept; nothing
    else is read from it). `action` is a stable dotted code such as `dossier.receive`. Give
    either `obj` (a saved model instance) or `object_type` and `object_id`. With both `before`
    and `after` only the changed keys are kept (`diff_summary`). The request id and client IP
    come from the current request context.
    """
    if not action or len(action) > (_field_max["action"] or 100):
        raise ValueError("audit_record(action=…) must be a non-empty code of at most 100 chars")
    actor_id, actor_label = _actor_fields(actor)
    obj_type, obj_id = _object_fields(obj, object_type, object_id)
    ctx = request_context.current()
    with transaction.atomic(using=using, savepoint=False):
        _lock_chain(using)
        prev = (
            AuditEntry.objects.using(using).order_by("-id").values_list("hash", flat=True).first()
        )
        entry = AuditEntry(
            created_at=timezone.now(),
            actor_id=actor_id,
            actor_label=_cut(actor_label, "actor_label"),
            action=action,
            object_type=obj_type,
            object_id=obj_id,
            summary=_build_summary(before, after, note),
            request_id=_cut(ctx.request_id, "request_id"),
            ip=_cut(ctx.ip, "ip"),
            prev_hash=prev or GENESIS_HASH,
        )
        entry.hash = entry_hash(entry)
        entry.save(using=using)
    return entry


# --- verifying -------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of `audit_verify`. `reason` is a stable code: "ok", "hash_mismatch" (the entry's
    own fields were changed) or "prev_hash_mismatch" (the entry before it was changed, removed
    or inserted)."""

    ok: bool
    checked: int
    first_broken_id: int | None
    reason: str
    last_id: int | None = None
    last_hash: str = ""

    @property
    def message(self) -> str:
        """A sentence for operators, in the active language."""
        if self.ok and self.checked == 0:
            return gettext("Audit log is empty: nothing to check.")
        if self.ok:
            return gettext(
                "Audit log intact: %(checked)d entries checked, last entry #%(last_id)s, "
                "chain tip %(hash)s."
            ) % {"checked": self.checked, "last_id": self.last_id, "hash": self.last_hash}
        if self.reason == "hash_mismatch":
            return gettext(
                "Audit log broken at entry #%(id)s: its content does not match its hash "
                "(the entry was changed). %(checked)d entries checked."
            ) % {"id": self.first_broken_id, "checked": self.checked}
        return gettext(
            "Audit log broken at entry #%(id)s: it does not link to the entry before it "
            "(an earlier entry was changed, removed or inserted). %(checked)d entries checked."
        ) % {"id": self.first_broken_id, "checked": self.checked}


def audit_verify(*, using: str = "default") -> VerifyResult:
    """Walk the whole chain in id order (streamed) and stop at the first broken entry."""
    expected_prev = GENESIS_HASH
    checked = 0
    last_id: int | None = None
    entries = AuditEntry.objects.using(using).order_by("id").iterator(chunk_size=VERIFY_CHUNK)
    for entry in entries:
        checked += 1
        if entry.prev_hash != expected_prev:
            return VerifyResult(False, checked, entry.pk, "prev_hash_mismatch", last_id)
        if entry_hash(entry) != entry.hash:
            return VerifyResult(False, checked, entry.pk, "hash_mismatch", last_id)
        expected_prev = entry.hash
        last_id = entry.pk
    last_hash = expected_prev if last_id is not None else ""
    return VerifyResult(True, checked, None, "ok", last_id, last_hash)


__all__ = [
    "GENESIS_HASH",
    "VerifyResult",
    "audit_record",
    "audit_verify",
    "diff_summary",
    "entry_hash",
    "json_safe",
]
