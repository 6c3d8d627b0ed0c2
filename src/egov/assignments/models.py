"""Assigned work (giao việc) and its follow-up: who must do what by when, and what happened.

An assignment comes from a head (or, for a sub-task, from the person responsible for the parent)
and goes to a unit, an officer, or both (a unit with a named lead officer). Its source is generic
(`source_type`, `source_id`, `source_label`, `source_url`) because this app sits below the apps
that give work (documents, meetings): they fill those fields, we never import them.

State machine (`TRANSITIONS`): open → in progress (first progress report) → done (the assignee
completes it with a result note) → in progress again (the assigner reopens it); open or in
progress → cancelled (the assigner). Reaching 100 % does not close an assignment by itself.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from egov.core.models import OutboundMessage
from egov.directory.models import Account, Officer, Organization


class State(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


TRANSITIONS: dict[str, frozenset[str]] = {
    State.OPEN: frozenset({State.IN_PROGRESS, State.DONE, State.CANCELLED}),
    State.IN_PROGRESS: frozenset({State.DONE, State.CANCELLED}),
    State.DONE: frozenset({State.IN_PROGRESS}),
    State.CANCELLED: frozenset(),
}
ACTIVE_STATES: tuple[str, ...] = (State.OPEN, State.IN_PROGRESS)


class Priority(models.TextChoices):
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Assignment(models.Model):
    """One piece of assigned work with its due date, progress and (optional) parent."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="assignments",
        help_text=_("The organisation of the person who assigned the work."),
    )
    title = models.CharField(_("title"), max_length=500)
    description = models.TextField(_("description"), blank=True)
    assigned_by = models.ForeignKey(
        Officer,
        verbose_name=_("assigned by"),
        on_delete=models.PROTECT,
        related_name="assignments_given",
    )
    assignee_unit = models.ForeignKey(
        Organization,
        verbose_name=_("lead unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assignments_led",
    )
    assignee_officer = models.ForeignKey(
        Officer,
        verbose_name=_("lead officer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assignments_led",
    )
    co_units = models.ManyToManyField(
        Organization, verbose_name=_("co-operating units"), blank=True, related_name="+"
    )
    co_officers = models.ManyToManyField(
        Officer, verbose_name=_("co-operating officers"), blank=True, related_name="+"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent assignment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    starts_on = models.DateField(_("starts on"))
    due_on = models.DateField(_("due on"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.OPEN)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    result_note = models.TextField(_("result"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    source_type = models.CharField(_("source type"), max_length=30, blank=True)
    source_id = models.CharField(_("source id"), max_length=64, blank=True)
    source_label = models.CharField(_("source"), max_length=500, blank=True)
    source_url = models.CharField(_("source address"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        indexes = [
            models.Index(fields=["assigned_by", "state", "due_on"], name="asg_by_state_due"),
            models.Index(fields=["assignee_officer", "state"], name="asg_officer_state"),
            models.Index(fields=["assignee_unit", "state"], name="asg_unit_state"),
            models.Index(fields=["state", "due_on"], name="asg_state_due"),
            models.Index(fields=["source_type", "source_id"], name="asg_source"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=100),
                name="assignments_progress_range",
            ),
            models.CheckConstraint(
                condition=Q(state__in=[s.value for s in State]), name="assignments_state_known"
            ),
            models.CheckConstraint(
                condition=Q(priority__in=[p.value for p in Priority]),
                name="assignments_priority_known",
            ),
            models.CheckConstraint(
                condition=Q(due_on__gte=F("starts_on")), name="assignments_due_after_start"
            ),
            models.CheckConstraint(
                condition=Q(assignee_unit__isnull=False) | Q(assignee_officer__isnull=False),
                name="assignments_has_assignee",
            ),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="assignments_not_own_parent"),
            models.CheckConstraint(
                condition=Q(state="done", completed_at__isnull=False)
                | (~Q(state="done") & Q(completed_at__isnull=True)),
                name="assignments_completed_when_done",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES


class ProgressUpdate(models.Model):
    """One progress report: the percentage reached and what was done."""

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="updates"
    )
    percent = models.PositiveSmallIntegerField(_("progress (%)"))
    note = models.TextField(_("note"), blank=True)
    author = models.ForeignKey(
        Officer, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__gte=0) & Q(percent__lte=100),
                name="assignments_update_percent_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id} {self.percent}%"


class ExtensionRequest(models.Model):
    """A request to move the due date, decided by the assigner (or a head over the organisation)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        GRANTED = "granted", _("Granted")
        REFUSED = "refused", _("Not granted")

    assignment = models.ForeignKey(
        Assignment,
        verbose_name=_("assignment"),
        on_delete=models.CASCADE,
        related_name="extension_requests",
    )
    requested_by = models.ForeignKey(
        Officer, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"))
    previous_due_on = models.DateField(_("due date before"))
    new_due_on = models.DateField(_("new due date"))
    reason = models.TextField(_("reason"))
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    decided_by = models.ForeignKey(
        Officer,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["requested_at", "pk"]
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["pending", "granted", "refused"]),
                name="assignments_extension_state_known",
            ),
            models.CheckConstraint(
                condition=Q(new_due_on__gt=F("previous_due_on")),
                name="assignments_extension_moves_later",
            ),
            models.CheckConstraint(
                condition=Q(state="pending", decided_at__isnull=True)
                | (~Q(state="pending") & Q(decided_at__isnull=False)),
                name="assignments_extension_decided_when_closed",
            ),
            models.UniqueConstraint(
                fields=["assignment"],
                condition=Q(state="pending"),
                name="assignments_one_pending_extension",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id} → {self.new_due_on} ({self.state})"


class ReminderLog(models.Model):
    """One reminder about one assignment sent to one officer on one day; the unique key makes a
    second run of the daily command on the same day send nothing new."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("Due soon")
        DUE_TODAY = "due_today", _("Due today")
        OVERDUE = "overdue", _("Overdue")

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="reminders"
    )
    officer = models.ForeignKey(
        Officer, verbose_name=_("officer"), on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField(_("day"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    message = models.ForeignKey(
        OutboundMessage,
        verbose_name=_("message"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-day", "assignment_id", "officer_id"]
        verbose_name = _("assignment reminder")
        verbose_name_plural = _("assignment reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "officer", "day"], name="assignments_reminder_once_a_day"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["due_soon", "due_today", "overdue"]),
                name="assignments_reminder_kind_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.assignment_id} → {self.officer_id}"


class AssignmentEvent(models.Model):
    """The history shown on the assignment page: who did what, when."""

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=30)
    actor = models.ForeignKey(
        Account,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("assignment event")
        verbose_name_plural = _("assignment events")

    def __str__(self) -> str:
        return f"{self.assignment_id} {self.action}"
