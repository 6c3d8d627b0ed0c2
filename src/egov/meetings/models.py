"""The weekly work calendar (lịch công tác tuần) and meetings with electronic invitations.

- `CalendarEntry`: one line of an organisation's weekly calendar, written by its heads and the
  office clerks. Entries start as drafts; publishing the week (`CalendarWeek`) makes them visible
  to every officer of the organisation and, for `public` entries, to the portal.
- `CalendarWeek`: the record that an organisation published one ISO week, with a revision
  number that grows each time the office publishes the week again after a change.
- `Meeting`, `MeetingPaper`, `Invitation`: a meeting with its papers (StoredFiles) and the
  invitations sent electronically to officers, units (their heads) and external guests.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from egov.core.models import OutboundMessage, StoredFile
from egov.directory.models import Officer, Organization


class Visibility(models.TextChoices):
    INTERNAL = "internal", _("Internal")
    PUBLIC = "public", _("Public (shown on the portal)")


class EntryState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CANCELLED = "cancelled", _("Cancelled")


class MeetingState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CANCELLED = "cancelled", _("Cancelled")
    HELD = "held", _("Held")


class InviteeKind(models.TextChoices):
    OFFICER = "officer", _("Officer")
    UNIT = "unit", _("Unit")
    EXTERNAL = "external", _("External guest")


class Response(models.TextChoices):
    PENDING = "pending", _("Not answered yet")
    ACCEPTED = "accepted", _("Will attend")
    DECLINED = "declined", _("Declined")
    DELEGATED = "delegated", _("Delegated")


class CalendarEntry(models.Model):
    """One line of the weekly work calendar of an organisation."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="calendar_entries",
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    title = models.CharField(_("work"), max_length=500)
    location = models.CharField(_("place"), max_length=300, blank=True)
    chair_officer = models.ForeignKey(
        Officer,
        verbose_name=_("chaired by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    chair_text = models.CharField(_("chaired by (text)"), max_length=200, blank=True)
    participants = models.TextField(_("participants"), blank=True)
    preparing_unit = models.ForeignKey(
        Organization,
        verbose_name=_("preparing unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    notes = models.TextField(_("notes"), blank=True)
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    state = models.CharField(
        _("state"), max_length=10, choices=EntryState.choices, default=EntryState.DRAFT
    )
    created_by = models.ForeignKey(
        Officer, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("calendar entry")
        verbose_name_plural = _("calendar entries")
        indexes = [
            models.Index(fields=["organization", "starts_at"], name="meetings_entry_org_start")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="meetings_entry_period",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="meetings_entry_title"),
            models.CheckConstraint(
                condition=Q(state__in=EntryState.values), name="meetings_entry_state"
            ),
            models.CheckConstraint(
                condition=Q(visibility__in=Visibility.values), name="meetings_entry_visibility"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def chair_label(self) -> str:
        if self.chair_officer is not None:
            return self.chair_officer.full_name
        return self.chair_text


class CalendarWeek(models.Model):
    """The office published an organisation's calendar for one ISO week (revision ≥ 1)."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="calendar_weeks",
    )
    iso_year = models.PositiveSmallIntegerField(_("ISO year"))
    iso_week = models.PositiveSmallIntegerField(_("ISO week"))
    revision = models.PositiveIntegerField(_("revision"), default=1)
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(
        Officer, verbose_name=_("published by"), on_delete=models.PROTECT, related_name="+"
    )
    # Set when an entry moves out of the published week (its rows no longer show the change).
    changed_at = models.DateTimeField(_("changed at"), null=True, blank=True)

    class Meta:
        ordering = ["-iso_year", "-iso_week"]
        verbose_name = _("published calendar week")
        verbose_name_plural = _("published calendar weeks")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "iso_year", "iso_week"], name="meetings_week_once"
            ),
            models.CheckConstraint(
                condition=Q(iso_week__gte=1, iso_week__lte=53), name="meetings_week_number"
            ),
            models.CheckConstraint(condition=Q(revision__gte=1), name="meetings_week_revision"),
        ]

    def __str__(self) -> str:
        return f"{self.organization} {self.iso_year}-W{self.iso_week:02d} r{self.revision}"


class Meeting(models.Model):
    """A meeting organised by an organisation, optionally shown on its weekly calendar."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    title = models.CharField(_("title"), max_length=500)
    agenda = models.TextField(_("agenda"), blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    location = models.CharField(_("place"), max_length=300, blank=True)
    chair = models.ForeignKey(
        Officer,
        verbose_name=_("chair"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    video_room_url = models.URLField(_("video room link"), max_length=500, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=MeetingState.choices, default=MeetingState.SCHEDULED
    )
    calendar_entry = models.OneToOneField(
        CalendarEntry,
        verbose_name=_("calendar entry"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="meeting",
    )
    organised_by = models.ForeignKey(
        Officer, verbose_name=_("organised by"), on_delete=models.PROTECT, related_name="+"
    )
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="meetings_meeting_period"
            ),
            models.CheckConstraint(condition=~Q(title=""), name="meetings_meeting_title"),
            models.CheckConstraint(
                condition=Q(video_room_url="") | Q(video_room_url__startswith="https://"),
                name="meetings_meeting_video_https",
            ),
            models.CheckConstraint(
                condition=Q(state__in=MeetingState.values), name="meetings_meeting_state"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class MeetingPaper(models.Model):
    """A paper of the meeting (giấy mời, tài liệu họp), readable by invitees and organisers."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="papers"
    )
    stored_file = models.ForeignKey(
        StoredFile, verbose_name=_("file"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=300, blank=True)
    added_by = models.ForeignKey(
        Officer, verbose_name=_("added by"), on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["added_at", "pk"]
        verbose_name = _("meeting paper")
        verbose_name_plural = _("meeting papers")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "stored_file"], name="meetings_paper_once")
        ]

    def __str__(self) -> str:
        return self.title or self.stored_file.original_name

    @property
    def label(self) -> str:
        return self.title or self.stored_file.original_name


class Invitation(models.Model):
    """An electronic invitation to one officer, one unit (its heads answer) or an outside guest.

    `token` is the secret of the link in the e-mail: the guest answers and downloads the papers
    through it without an account. `email_message` is the first e-mail sent for it (None when
    the invitee has no address: the invitation is still in their "my invitations" list).
    """

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="invitations"
    )
    kind = models.CharField(_("invitee kind"), max_length=10, choices=InviteeKind.choices)
    invitee_officer = models.ForeignKey(
        Officer,
        verbose_name=_("invited officer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meeting_invitations",
    )
    invitee_unit = models.ForeignKey(
        Organization,
        verbose_name=_("invited unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meeting_invitations",
    )
    external_name = models.CharField(_("guest name"), max_length=200, blank=True)
    external_email = models.EmailField(_("guest e-mail"), blank=True)
    response = models.CharField(
        _("response"), max_length=10, choices=Response.choices, default=Response.PENDING
    )
    delegate = models.ForeignKey(
        Officer,
        verbose_name=_("delegate"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    delegated_from = models.ForeignKey(
        "self",
        verbose_name=_("delegated from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    responded_by = models.ForeignKey(
        Officer,
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    sent_at = models.DateTimeField(_("sent at"))
    email_message = models.ForeignKey(
        OutboundMessage,
        verbose_name=_("e-mail"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    token = models.CharField(_("link token"), max_length=64, unique=True)
    invited_by = models.ForeignKey(
        Officer, verbose_name=_("invited by"), on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        kind=InviteeKind.OFFICER,
                        invitee_officer__isnull=False,
                        invitee_unit__isnull=True,
                        external_email="",
                    )
                    | Q(
                        kind=InviteeKind.UNIT,
                        invitee_officer__isnull=True,
                        invitee_unit__isnull=False,
                        external_email="",
                    )
                    | (
                        Q(
                            kind=InviteeKind.EXTERNAL,
                            invitee_officer__isnull=True,
                            invitee_unit__isnull=True,
                        )
                        & ~Q(external_email="")
                        & ~Q(external_name="")
                    )
                ),
                name="meetings_invitation_one_invitee",
            ),
            models.CheckConstraint(
                condition=Q(response=Response.DELEGATED, delegate__isnull=False)
                | (~Q(response=Response.DELEGATED) & Q(delegate__isnull=True)),
                name="meetings_invitation_delegate",
            ),
            models.CheckConstraint(
                condition=Q(response=Response.PENDING, responded_at__isnull=True)
                | (~Q(response=Response.PENDING) & Q(responded_at__isnull=False)),
                name="meetings_invitation_answered",
            ),
            models.UniqueConstraint(
                fields=["meeting", "invitee_officer"],
                condition=Q(invitee_officer__isnull=False),
                name="meetings_invitation_officer_once",
            ),
            models.UniqueConstraint(
                fields=["meeting", "invitee_unit"],
                condition=Q(invitee_unit__isnull=False),
                name="meetings_invitation_unit_once",
            ),
            models.UniqueConstraint(
                fields=["meeting", "external_email"],
                condition=~Q(external_email=""),
                name="meetings_invitation_guest_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} → {self.invitee_label}"

    @property
    def invitee_label(self) -> str:
        if self.invitee_officer is not None:
            return self.invitee_officer.full_name
        if self.invitee_unit is not None:
            return self.invitee_unit.name_vi
        return f"{self.external_name} <{self.external_email}>"
