"""What the meeting services share: errors, row locks, versions and input checks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from egov.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from egov.directory import policy
from egov.directory import selectors as directory
from egov.directory.models import Officer, Organization

TITLE_MAX = 500
TEXT_MAX = 5000
# Papers of a meeting: PDF, Word, Excel and images (core.files checks content and size).
PAPER_KINDS = frozenset({"pdf", "docx", "xlsx", "png", "jpeg", "tiff"})
_https = URLValidator(schemes=["https"])


class MeetingsConflict(Conflict):
    """Someone else changed the entry, meeting or invitation since the caller read it."""

    code = "meetings.conflict"
    default_message = _("Someone else changed this in the meantime. Reload it and try again.")


class TransitionNotAllowed(Conflict):
    code = "meetings.transition_not_allowed"
    default_message = _("This action is not allowed in the current state.")


class MeetingsInvalid(ValidationFailed):
    code = "meetings.invalid"
    default_message = _("The data is not valid.")


@dataclass(frozen=True)
class Guest:
    """An invitee from outside the platform, reached by e-mail."""

    name: str
    email: str


# --- shared steps -------------------------------------------------------------------------------


def _now() -> datetime:
    return timezone.now()


def _officer(actor: Any) -> Officer:
    officer = policy.officer_of(actor)
    if officer is None:
        raise PermissionDenied(
            gettext("Only officers can work on the calendar and meetings."),
            code="meetings.officer_required",
        )
    return officer


def _locked(model: type[Model], obj: Any, expected_version: int | None) -> Any:
    """The row, locked until the transaction ends, at the version the caller saw (no check when
    the caller gives no `expected_version`)."""
    fresh: Any = model._default_manager.select_for_update().filter(pk=obj.pk).first()
    if fresh is None:
        raise NotFound(gettext("It does not exist any more."), code="meetings.not_found")
    if expected_version is not None and fresh.version != expected_version:
        raise MeetingsConflict(details={"expected": expected_version, "current": fresh.version})
    return fresh


def _save(obj: Any, fields: Sequence[str]) -> None:
    """Save the changed fields and bump the version other screens compare against."""
    obj.version += 1
    extra = ["updated_at"] if hasattr(obj, "updated_at") else []
    obj.save(update_fields=[*fields, "version", *extra])


def _text(value: str, *, field: str, limit: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise MeetingsInvalid(
            gettext("This field is required."), code="meetings.required", field=field
        )
    if len(value) > limit:
        raise MeetingsInvalid(
            gettext("At most %(limit)s characters.") % {"limit": limit},
            code="meetings.too_long",
            field=field,
        )
    return value


def _period(starts_at: datetime, ends_at: datetime | None, *, required_end: bool) -> None:
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if value is not None and timezone.is_naive(value):
            raise ValueError(f"{name} must be an aware datetime")
    if ends_at is None:
        if required_end:
            raise MeetingsInvalid(
                gettext("This field is required."), code="meetings.required", field="ends_at"
            )
        return
    if ends_at <= starts_at:
        raise MeetingsInvalid(
            gettext("The end must be after the start."), code="meetings.bad_period", field="ends_at"
        )


def _member_unit(organization: Organization, unit: Organization | None, *, field: str) -> None:
    if unit is not None and unit.pk not in directory.organization_members(organization):
        raise MeetingsInvalid(
            gettext("The unit does not belong to the organisation."),
            code="meetings.foreign_unit",
            field=field,
        )


def _active(officer: Officer | None, *, field: str) -> None:
    if officer is not None and not officer.is_active:
        raise MeetingsInvalid(
            gettext("The officer is no longer active."),
            code="meetings.inactive_officer",
            field=field,
        )


def _video_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        return ""
    try:
        _https(url)
    except ValidationError:
        raise MeetingsInvalid(
            gettext("The video room link must be a full https:// address."),
            code="meetings.bad_video_url",
            field="video_room_url",
        ) from None
    if len(url) > 500:
        raise MeetingsInvalid(
            gettext("At most %(limit)s characters.") % {"limit": 500},
            code="meetings.too_long",
            field="video_room_url",
        )
    return url
