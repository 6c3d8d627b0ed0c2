"""What the applicant does with a settled dossier, and what the platform tells them.

- `rating_submit`: the satisfaction rating, once per dossier, only by its applicant and only
  after the result (Decision 766 counts it); audited.
- `result_download_record`: every download of the e-result by the applicant is audited.
- `applicant_notify`: one message per channel the applicant left (e-mail, and SMS or Zalo for
  a phone), each with the link to the public status page (code pre-filled, never the second
  factor).

The applicant proves who they are either with their own account or with a proof token from
the public status page (`citizen_selectors.proof_issue`, given only after the second factor).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from egov.core.audit import audit_record
from egov.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from egov.core.models import OutboundMessage, StoredFile
from egov.core.notifications import notification_send
from egov.directory.models import Account
from egov.dossiers import deadlines, rating_questions
from egov.dossiers.citizen_selectors import (
    applicant_channels,
    applicant_message_context,
    e_result_ready,
    is_own_dossier,
    proof_dossier_id,
)
from egov.dossiers.models import DECIDED_STATES, Dossier, DossierFee, Rating

# The message the services ask for → the template that tells the applicant, with the link.


class RatingAlreadyGiven(Conflict):
    code = "rating.already_given"
    default_message = _("This dossier has already been rated. Thank you.")


def _require_applicant(dossier: Dossier, actor: Account | None, proof: str) -> None:
    """The applicant: their own account, or a fresh proof token for this very dossier."""
    if actor is not None and is_own_dossier(actor, dossier):
        return
    if proof and proof_dossier_id(proof) == dossier.pk:
        return
    raise PermissionDenied(
        gettext("Only the applicant of this dossier can do this."),
        code="permission_denied",
        details={"action": "dossiers.applicant"},
    )


def _clean_answers(answers: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for question in rating_questions.question_set():
        value = str(answers.get(question.key) or "").strip()
        allowed = {key for key, _label in question.choices}
        if not value:
            if question.required:
                raise ValidationFailed(
                    gettext("Please answer this question."),
                    code="rating.answer_missing",
                    field=question.key,
                )
            continue
        if value not in allowed:
            raise ValidationFailed(
                gettext("Choose one of the answers offered."),
                code="rating.answer_unknown",
                field=question.key,
            )
        out[question.key] = value
    return out


def rating_submit(
    *,
    dossier: Dossier,
    answers: Mapping[str, Any],
    comment: str = "",
    actor: Account | None = None,
    proof: str = "",
) -> Rating:
    """Record the applicant's satisfaction with the handling of a decided dossier, once.

    Only the applicant (own account, or `proof` from the status page), only once the result is
    decided (approved, denied or returned), only once (a second rating is refused with
    "rating.already_given", also when two arrive at the same moment). A comment longer than
    `rating_questions.COMMENT_MAX` is refused, not cut.
    """
    cleaned = _clean_answers(answers)
    text = (comment or "").strip()
    if len(text) > rating_questions.COMMENT_MAX:
        raise ValidationFailed(
            gettext("The comment is longer than %(max)s characters.")
            % {"max": rating_questions.COMMENT_MAX},
            code="rating.comment_too_long",
            field="comment",
        )
    try:
        with transaction.atomic():
            locked = Dossier.objects.select_for_update().filter(pk=dossier.pk).first()
            if locked is None:
                raise NotFound(gettext("The dossier does not exist."), code="dossier.not_found")
            _require_applicant(locked, actor, proof)
            if locked.state not in DECIDED_STATES:
                raise ValidationFailed(
                    gettext("The dossier can be rated once its result is decided."),
                    code="rating.too_early",
                )
            if Rating.objects.filter(dossier_id=locked.pk).exists():
                raise RatingAlreadyGiven
            rating = Rating.objects.create(
                dossier=locked,
                account=actor if actor is not None and actor.is_authenticated else None,
                answers=cleaned,
                questions_version=rating_questions.VERSION,
                score=rating_questions.score_of(cleaned),
                satisfied=rating_questions.is_satisfied(cleaned),
                comment=text,
                created_at=deadlines.now(),
            )
            audit_record(
                actor=actor if actor is not None and actor.is_authenticated else None,
                action="dossiers.rating.submit",
                obj=locked,
                after={
                    "score": rating.score,
                    "satisfied": rating.satisfied,
                    "questions_version": rating.questions_version,
                    "via": "account" if proof == "" else "status_page",
                },
            )
    except IntegrityError:  # another rating won the race for the one-to-one row
        raise RatingAlreadyGiven from None
    return rating


def result_download_record(
    *, dossier: Dossier, actor: Account | None = None, proof_ok: bool = False, via: str
) -> StoredFile:
    """The e-result file the applicant may download now, with an audit entry for the download.

    `proof_ok`: the caller checked a signed download link for this dossier and file (the
    status page's route); otherwise `actor` must be the applicant's own account. Unpaid fees
    withhold the result (the applicant pays first, as the status page says).
    """
    if not proof_ok and not (actor is not None and is_own_dossier(actor, dossier)):
        raise PermissionDenied(
            gettext("Only the applicant of this dossier can do this."),
            code="permission_denied",
            details={"action": "dossiers.result.download"},
        )
    stored = dossier.result_file
    if stored is None or not e_result_ready(dossier):
        raise NotFound(gettext("There is no result to download."), code="dossier.no_result")
    if (
        dossier.fee_due
        and DossierFee.objects.filter(dossier_id=dossier.pk, paid=False, amount__gt=0).exists()
    ):
        raise ValidationFailed(
            gettext("Pay the fees of the dossier before downloading the result."),
            code="dossier.fees_unpaid",
        )
    with transaction.atomic():
        audit_record(
            actor=actor if actor is not None and actor.is_authenticated else None,
            action="dossiers.result.download",
            obj=dossier,
            after={"file": stored.pk, "sha256": stored.sha256, "via": via},
        )
    return stored


def applicant_notify(*, dossier: Dossier, template: str, **extra: Any) -> list[OutboundMessage]:
    """Tell the applicant on every channel they left (e-mail; SMS or Zalo for a phone), with
    the status page's link. `template` is the step's notification ("dossier_received", …).
    Called by `dossiers.services._notify` inside the service's transaction (delivery after
    commit)."""
    context = {**applicant_message_context(dossier), **extra}
    return [
        notification_send(channel=channel, recipient=recipient, template=template, context=context)
        for channel, recipient in applicant_channels(dossier)
    ]
