"""Reads of a dossier for its applicant: who may see it, in plain words, and what to do next.

The public status page (code + a second factor), the applicant's own dossier page (signed in)
and the notifications all describe a dossier to the person who applied, so they share one
reading here. Nothing an officer wrote for colleagues is shown (event notes, internal notes,
officers' names): only what the official slips (Mẫu 01–05) tell the applicant anyway — the
states, the organisations, the appointment and its apology, the supplement list, the reasons of
a refusal or a denial.

Proof that a reader is the applicant, without an account: the second factor given on the
status page. It is carried on to the follow-up requests (the e-result download, the rating) as
a short-lived signed token, so the second factor never travels in a link.
"""

from __future__ import annotations

import contextlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.db.models import Count, Q, QuerySet
from django.urls import NoReverseMatch, get_urlconf, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from egov.core.models import OutboundMessage
from egov.directory.identifiers import normalize_mobile, normalize_tax_code
from egov.dossiers import deadlines
from egov.dossiers.models import (
    DECIDED_STATES,
    Apology,
    ClockStop,
    Dossier,
    DossierEvent,
    DossierFee,
    Rating,
    State,
)
from egov.procedures.models import Channel, FeeStage

_NOT_DIGITS = re.compile(r"\D")
CODE_MAX = 64
PROOF_SALT = "egov.dossiers.applicant-proof"
RESULT_LINK_SALT = "egov.dossiers.result-link"
RECEIPT_LINK_SALT = "egov.dossiers.receipt-link"
# The receipt (Mẫu 01) link in the intake message stays valid as long as a dossier is usually
# open; after that the applicant looks the dossier up again.
RECEIPT_LINK_MAX_AGE = 90 * 86400
PROOF_MAX_AGE = 3600  # seconds a status look-up stays valid for rating the dossier
RESULT_LINK_MAX_AGE = 900  # seconds a result download link stays valid

# The routes other tasks build; tried in order, then the path itself (see `optional_url`).
SUPPLEMENT_URL_NAMES = ("portal:apply_supplement", "portal:supplement")
SUPPLEMENT_PATH = "/nop-ho-so/bo-sung/{code}/"
PAYMENT_URL_NAMES = ("payments:start", "payments:pay")
PAYMENT_PATH = "/thanh-toan/{code}/"

STATE_WORDS: dict[str, Any] = {
    State.SUBMITTED: _("Received, being checked for completeness"),
    State.SUPPLEMENT_REQUESTED: _("More papers are needed"),
    State.REFUSED: _("Not accepted"),
    State.ACCEPTED: _("Accepted, being handled"),
    State.IN_PROCESS: _("Being handled"),
    State.APPROVED: _("Result ready"),
    State.DENIED: _("Decided: the request was not granted"),
    State.RETURNED: _("Result handed over"),
    State.WITHDRAWN: _("Withdrawn at your request"),
    State.CANCELLED: _("Handling stopped"),
}
EVENT_WORDS: dict[str, Any] = {
    "receive": _("Your dossier was received."),
    "accept": _("Your dossier is complete and is being handled."),
    "request_supplement": _("You were asked to bring more papers."),
    "resubmit": _("The papers you brought were received."),
    "refuse": _("Your dossier could not be accepted."),
    "approve_result": _("The result is ready."),
    "deny_result": _("A decision was taken: your request was not granted."),
    "return_result": _("The result was handed to you."),
    "withdraw": _("The dossier was withdrawn at your request."),
    "cancel": _("The handling of the dossier was stopped."),
    "apologize": _("The office apologised for a delay and gave a new appointment."),
    "record_cash_payment": _("Your fee payment was recorded."),
    "record_online_payment": _("Your online payment was recorded."),
    "sign_result": _("The result was signed digitally."),
}
UPDATED_WORDS = _("Your dossier was updated.")
TIMELINESS_WORDS: dict[str, Any] = {
    deadlines.EARLY: _("Settled ahead of time"),
    deadlines.ON_TIME: _("Settled on time"),
    deadlines.LATE: _("Settled late"),
    "open_on_time": _("On schedule"),
    "open_late": _("Late: the legal time limit has passed"),
    "open_late_apologised": _("Late: the office apologised and gave a new appointment"),
    "paused": _("The time limit is paused until you bring the missing papers"),
}


# --- finding the dossier -------------------------------------------------------------------------


# The columns the applicant's pages read: the hot look-up selects only these (a narrow select
# compiles and decodes several times faster than the whole row with its JSON columns).
_COLUMNS = (
    "code",
    "lookup_code",
    "state",
    "channel",
    "submitted_by",
    "applicant_phone",
    "applicant_national_id",
    "applicant_tax_code",
    "received_at",
    "due_at",
    "appointment_at",
    "decided_at",
    "closed_at",
    "reasons",
    "legal_basis",
    "result_file",
    "result_number",
    "result_signed_at",
    "fee_due",
    "procedure_version__name",
    "procedure_version__fee_stage",
    "receiving_organization__name_vi",
)


def _status_base() -> QuerySet[Dossier]:
    return (
        Dossier.objects.select_related("procedure_version", "receiving_organization")
        .only(*_COLUMNS)
        .order_by()
    )


def dossier_for_status(code: str) -> Dossier | None:
    """The dossier with this code, with what the applicant's page shows (one query)."""
    code = (code or "").strip()[:CODE_MAX]
    if not code:
        return None
    rows = list(_status_base().filter(code=code)[:1])
    return rows[0] if rows else None


def _same(given: str, expected: str) -> bool:
    # Both sides always compared, in constant time; an empty expected value never matches.
    return hmac.compare_digest(given.encode(), (expected or "\x00").encode()) and bool(expected)


def second_factor_matches(dossier: Dossier | None, secret: str) -> bool:
    """The phone number (any usual writing), the national ID number or the tax code given at
    intake. The three comparisons always run, also for an unknown code, so a wrong second
    factor and an unknown code take the same time."""
    secret = (secret or "")[:40]
    digits = _NOT_DIGITS.sub("", secret)
    phone = normalize_mobile(secret) or digits
    tax = normalize_tax_code(secret) or digits
    phone_ok = _same(phone, dossier.applicant_phone if dossier else "")
    id_ok = _same(digits, dossier.applicant_national_id if dossier else "")
    tax_ok = _same(tax, dossier.applicant_tax_code if dossier else "")
    return dossier is not None and bool(digits) and (phone_ok or id_ok or tax_ok)


def dossier_for_applicant(*, code: str, secret: str) -> Dossier | None:
    """The dossier when `secret` is its applicant's second factor, else None (the same None
    for an unknown code and a wrong second factor)."""
    dossier = dossier_for_status(code)
    return dossier if second_factor_matches(dossier, secret) else None


def _own_q(account: Any) -> Q:
    # `submitted_by` is also the counter officer of a walk-in intake: only an online
    # submission makes its submitter an owner.
    return Q(applicant__account_id=account.pk) | Q(
        submitted_by_id=account.pk, channel=Channel.ONLINE
    )


def is_own_dossier(account: Any, dossier: Dossier) -> bool:
    """The signed-in applicant whose dossier it is, or who submitted it (no officer rights)."""
    if account is None or not account.is_authenticated or not account.is_active:
        return False
    if dossier.submitted_by_id == account.pk and dossier.channel == Channel.ONLINE:
        return True
    return bool(Dossier.objects.filter(pk=dossier.pk, applicant__account_id=account.pk).exists())


def dossiers_of_account(account: Any) -> QuerySet[Dossier]:
    """Every dossier the signed-in applicant applied for or submitted, newest first."""
    if account is None or not account.is_authenticated or not account.is_active:
        return Dossier.objects.none()
    return (
        Dossier.objects.filter(_own_q(account))
        .select_related("procedure_version", "receiving_organization")
        .order_by("-received_at", "-pk")
    )


def dossier_of_account(account: Any, code: str) -> Dossier | None:
    """One of the applicant's own dossiers by code, else None (another's dossier looks absent)."""
    code = (code or "").strip()[:CODE_MAX]
    if not code or account is None or not account.is_authenticated or not account.is_active:
        return None
    rows = list(_status_base().filter(_own_q(account), code=code)[:1])
    return rows[0] if rows else None


# --- proof tokens --------------------------------------------------------------------------------


def proof_issue(dossier: Dossier) -> str:
    """A token saying "the applicant of this dossier gave the second factor just now"."""
    return signing.dumps({"d": dossier.pk}, salt=PROOF_SALT)


def proof_dossier_id(token: str, *, max_age: int = PROOF_MAX_AGE) -> int | None:
    try:
        value = signing.loads(token or "", salt=PROOF_SALT, max_age=max_age)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    pk = value.get("d") if isinstance(value, dict) else None
    return pk if isinstance(pk, int) else None


def result_link_issue(dossier: Dossier) -> str:
    """A short-lived token for downloading this dossier's current result file."""
    return signing.dumps({"d": dossier.pk, "f": str(dossier.result_file_id)}, salt=RESULT_LINK_SALT)


def result_link_target(token: str, *, max_age: int = RESULT_LINK_MAX_AGE) -> tuple[int, str] | None:
    """(dossier id, result file id as text) of a valid, unexpired download token, else None."""
    try:
        value = signing.loads(token or "", salt=RESULT_LINK_SALT, max_age=max_age)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(value, dict):
        return None
    pk, file_id = value.get("d"), value.get("f")
    if not isinstance(pk, int) or not isinstance(file_id, str):
        return None
    return pk, file_id


def dossier_by_pk(pk: int) -> Dossier | None:
    rows = list(_status_base().filter(pk=pk)[:1])
    return rows[0] if rows else None


# --- links to other tasks' pages -----------------------------------------------------------------


@lru_cache(maxsize=64)
def _first_route(
    names: tuple[str, ...], urlconf: str, keys: tuple[str, ...] = ("code",)
) -> str | None:
    """The first of `names` the URL configuration knows (a failed reverse is costly: asked
    once per URL configuration, not on every page)."""
    for name in names:
        try:
            reverse(name, urlconf=urlconf, kwargs=dict.fromkeys(keys, "X"))
        except NoReverseMatch:
            continue
        return name
    return None


def optional_url(names: Iterable[str], fallback: str, **kwargs: Any) -> str:
    """The first of `names` that resolves, else the fallback path (a route built by another
    part of the platform that may not be installed yet)."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    name = _first_route(tuple(names), str(urlconf), tuple(sorted(kwargs)))
    if name is not None:
        with contextlib.suppress(NoReverseMatch):
            return reverse(name, kwargs=kwargs)
    return fallback.format(**kwargs)


def receipt_link_issue(dossier: Dossier) -> str:
    """A signed token for the receipt (Mẫu 01) of this dossier, for the intake message."""
    return signing.dumps({"d": dossier.pk}, salt=RECEIPT_LINK_SALT)


def receipt_link_dossier_id(token: str, *, max_age: int = RECEIPT_LINK_MAX_AGE) -> int | None:
    try:
        value = signing.loads(token or "", salt=RECEIPT_LINK_SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    pk = value.get("d") if isinstance(value, dict) else None
    return pk if isinstance(pk, int) else None


def receipt_url(dossier: Dossier) -> str:
    """The absolute address of the receipt PDF for messages ("" when the portal route is not
    installed)."""
    token = receipt_link_issue(dossier)
    path = optional_url(["portal:track_receipt"], "", token=token)
    if not path:
        return ""
    return str(getattr(settings, "EGOV_PUBLIC_URL", "") or "").rstrip("/") + path


def status_url(code: str) -> str:
    """The public status page of a dossier, code pre-filled, as an absolute address (for
    messages: never with the second factor)."""
    path = reverse("dossiers:status_code", kwargs={"code": code})
    base = str(getattr(settings, "EGOV_PUBLIC_URL", "") or "").rstrip("/")
    return base + path


def e_result_ready(dossier: Dossier) -> bool:
    """The applicant may download the result: a decided dossier whose result file was signed
    by the competent head (`result_signed_at`, egov.dossiers.result_services). An unsigned
    upload is not an e-result: it is collected at the counter."""
    return (
        dossier.result_file_id is not None
        and dossier.state in DECIDED_STATES
        and getattr(dossier, "result_signed_at", None) is not None
    )


def track_links(dossier: Dossier) -> dict[str, str]:
    """The links the public status page offers after the second factor: result download and
    rating (empty when the portal routes are not installed), and the proof token the payment
    page accepts (`?proof=`)."""
    proof = proof_issue(dossier)
    links = {"result": "", "rate": "", "proof": proof}
    if e_result_ready(dossier):
        with contextlib.suppress(NoReverseMatch):
            links["result"] = reverse(
                "portal:track_result", kwargs={"token": result_link_issue(dossier)}
            )
    with contextlib.suppress(NoReverseMatch):
        links["rate"] = reverse("portal:track_rate", kwargs={"token": proof})
    return links


# --- the dossier in plain words ------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    label: str
    action: str


@dataclass(frozen=True)
class NextAction:
    """One thing the applicant should do (or know) now; `kind` is stable for tests and CSS."""

    kind: str
    text: str
    url: str = ""
    url_label: str = ""


@dataclass
class CitizenDossier:
    dossier: Dossier
    state_words: str
    timeline: list[TimelineEntry]
    appointment_at: datetime | None
    first_appointment_at: datetime | None
    apology_reason: str
    timeliness: str
    timeliness_words: str
    supplement_items: list[dict[str, str]]
    reasons: list[str]
    legal_basis: str
    unpaid_fees: list[DossierFee]
    actions: list[NextAction]
    result_available: bool
    can_rate: bool
    rating: Rating | None
    open: bool
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def action_kinds(self) -> list[str]:
        return [a.kind for a in self.actions]

    @property
    def timeliness_class(self) -> str:
        """The `due--…` style of the timeliness words."""
        if self.timeliness.startswith("open_late"):
            return deadlines.OVERDUE
        if self.timeliness in (deadlines.EARLY, deadlines.ON_TIME, deadlines.LATE):
            return self.timeliness
        return deadlines.ON_TIME


def _event_words(action: str, unit_name: str) -> str:
    if action == "start_step" and unit_name:
        return gettext("Being handled at %(unit)s.") % {"unit": unit_name}
    if action == "complete_step":
        if unit_name:
            return gettext("One step was finished; handed over to %(unit)s.") % {"unit": unit_name}
        return gettext("One step of the handling was finished.")
    if action == "start_step":
        return gettext("An officer is working on your dossier.")
    return str(EVENT_WORDS.get(action, UPDATED_WORDS))


def public_timeline(dossier: Dossier) -> list[TimelineEntry]:
    """The hand-over log in plain words: what happened and where, never who wrote what."""
    rows = (
        DossierEvent.objects.filter(dossier_id=dossier.pk)
        .order_by("at", "pk")
        .values_list("at", "action", "to_unit__name_vi")
    )
    return [
        TimelineEntry(at=at, label=_event_words(action, unit or ""), action=action)
        for at, action, unit in rows
    ]


def _timeliness(dossier: Dossier, stop: ClockStop | None, apologised: bool, at: datetime) -> str:
    tz = timezone.get_default_timezone()
    if dossier.state in (State.REFUSED, State.WITHDRAWN, State.CANCELLED):
        return ""
    if dossier.decided_at is not None:
        return deadlines.settled_timeliness(dossier.due_at, dossier.decided_at, tz=tz)
    if stop is not None:
        return "paused"
    if deadlines.open_timeliness(dossier.due_at, at, tz=tz) == deadlines.OVERDUE:
        return "open_late_apologised" if apologised else "open_late"
    return "open_on_time"


def _rate_action(dossier: Dossier, rating: Rating | None, rate_url: str) -> NextAction | None:
    if dossier.state not in DECIDED_STATES or rating is not None:
        return None
    return NextAction(
        "rate",
        gettext("Tell us how satisfied you are with the handling of your dossier."),
        rate_url,
        gettext("Rate the service") if rate_url else "",
    )


def rating_of(dossier: Dossier) -> Rating | None:
    """The dossier's rating (asked only once it can have one: a decided dossier)."""
    if dossier.state not in DECIDED_STATES:
        return None
    return Rating.objects.filter(dossier_id=dossier.pk).first()


def _actions(
    dossier: Dossier,
    *,
    unpaid: list[DossierFee],
    rating: Rating | None,
    result_url: str,
    rate_url: str,
    supplement_url: str,
    proof: str,
) -> list[NextAction]:
    """What the applicant must do next, most urgent first."""
    state = dossier.state
    org = dossier.receiving_organization.name_vi
    code = dossier.code
    pay_url = optional_url(PAYMENT_URL_NAMES, PAYMENT_PATH, code=code) if unpaid else ""
    if pay_url and proof:
        pay_url += "?" + urlencode({"proof": proof})
    pay_now = bool(unpaid) and (
        state in DECIDED_STATES or dossier.procedure_version.fee_stage != FeeStage.AFTER
    )
    pay = NextAction(
        "pay",
        gettext("Pay the fees of your dossier: online, or in cash at %(org)s.") % {"org": org},
        pay_url,
        gettext("Pay the fees online"),
    )
    out: list[NextAction] = []
    if state == State.SUPPLEMENT_REQUESTED:
        out.append(
            NextAction(
                "supplement",
                gettext(
                    "Send the missing papers listed below: upload them online or bring them "
                    "to %(org)s. The time limit starts again when they are received."
                )
                % {"org": org},
                supplement_url or optional_url(SUPPLEMENT_URL_NAMES, SUPPLEMENT_PATH, code=code),
                gettext("Upload the missing papers"),
            )
        )
    elif state in (State.SUBMITTED, State.ACCEPTED, State.IN_PROCESS):
        if pay_now:
            out.append(pay)
        text = (
            gettext("The counter is checking that your dossier is complete. Nothing to do yet.")
            if state == State.SUBMITTED
            else gettext("Nothing to do: we will tell you when the result is ready.")
        )
        out.append(NextAction("wait", text))
    elif state in (State.APPROVED, State.DENIED):
        if pay_now:
            out.append(pay)
        if result_url and not unpaid:
            out.append(
                NextAction(
                    "download",
                    gettext("Download your result, signed digitally by the office."),
                    result_url,
                    gettext("Download the result (PDF)"),
                )
            )
        elif not unpaid:
            out.append(
                NextAction(
                    "collect",
                    gettext("Collect your result at %(org)s: bring your receipt and your ID card.")
                    % {"org": org},
                )
            )
    elif state == State.RETURNED:
        if result_url and not unpaid:
            out.append(
                NextAction(
                    "download",
                    gettext("Your result was handed over. You can download it again here."),
                    result_url,
                    gettext("Download the result (PDF)"),
                )
            )
    elif state == State.REFUSED:
        out.append(
            NextAction(
                "read_reasons",
                gettext(
                    "Read the reasons below. You may submit a new dossier once you have "
                    "what is missing."
                ),
            )
        )
    rate = _rate_action(dossier, rating, rate_url)
    if rate is not None:
        out.append(rate)
    if not out:
        out.append(NextAction("none", gettext("Nothing to do: the dossier is closed.")))
    return out


def citizen_dossier(
    dossier: Dossier,
    *,
    at: datetime | None = None,
    result_url: str = "",
    rate_url: str = "",
    supplement_url: str = "",
    proof: str = "",
) -> CitizenDossier:
    """Everything the applicant's page shows, in a handful of queries: the timeline, and only
    when they matter the open supplement request, the apology, the unpaid fees.
    `result_url` / `rate_url` / `supplement_url`: the links of the route the applicant came
    through (the supplement page's own signed link opens it without an account); `proof`: the
    status page's proof token, handed to the payment page so it does not ask again."""
    at = at or deadlines.now()
    timeline = public_timeline(dossier)
    actions_seen = {entry.action for entry in timeline}
    stop: ClockStop | None = None
    if dossier.state == State.SUPPLEMENT_REQUESTED:
        stop = ClockStop.objects.filter(dossier_id=dossier.pk, resumed_at__isnull=True).first()
    apologies: list[Apology] = []
    if "apologize" in actions_seen:
        apologies = list(Apology.objects.filter(dossier_id=dossier.pk).order_by("issued_at"))
    unpaid: list[DossierFee] = []
    closed_without_result = dossier.state in (State.REFUSED, State.WITHDRAWN, State.CANCELLED)
    if dossier.fee_due and not closed_without_result:
        unpaid = list(
            DossierFee.objects.filter(dossier_id=dossier.pk, paid=False, amount__gt=0).order_by(
                "order"
            )
        )
    result_available = e_result_ready(dossier)
    key = _timeliness(dossier, stop, bool(apologies), at)
    is_open = dossier.state not in DECIDED_STATES and not closed_without_result
    rating = rating_of(dossier)
    reasons = (
        [str(r) for r in dossier.reasons]
        if dossier.state in (State.REFUSED, State.DENIED, State.CANCELLED)
        else []
    )
    return CitizenDossier(
        dossier=dossier,
        state_words=str(STATE_WORDS.get(dossier.state, dossier.state)),
        timeline=timeline,
        appointment_at=dossier.appointment_at
        if is_open or dossier.state == State.APPROVED
        else None,
        first_appointment_at=apologies[0].previous_appointment_at if apologies else None,
        apology_reason=apologies[-1].reason if apologies else "",
        timeliness=key,
        timeliness_words=str(TIMELINESS_WORDS[key]) if key else "",
        supplement_items=list(stop.items) if stop is not None else [],
        reasons=reasons,
        legal_basis=dossier.legal_basis if dossier.state == State.REFUSED else "",
        unpaid_fees=unpaid,
        actions=_actions(
            dossier,
            unpaid=unpaid,
            rating=rating,
            result_url=result_url if result_available else "",
            rate_url=rate_url,
            supplement_url=supplement_url,
            proof=proof,
        ),
        result_available=result_available and not unpaid,
        can_rate=dossier.state in DECIDED_STATES and rating is None,
        rating=rating,
        open=is_open,
    )


# --- notifications -------------------------------------------------------------------------------


def applicant_channels(dossier: Dossier) -> list[tuple[str, str]]:
    """(channel, recipient) for each way the applicant can be told: e-mail when an address is
    known, and the short-text channel (settings.EGOV_APPLICANT_SHORT_CHANNEL, "sms" or "zalo")
    when a phone is known."""
    out = []
    if dossier.applicant_email:
        out.append((OutboundMessage.Channel.EMAIL.value, dossier.applicant_email))
    if dossier.applicant_phone:
        short = str(getattr(settings, "EGOV_APPLICANT_SHORT_CHANNEL", "sms") or "sms")
        if short not in (OutboundMessage.Channel.SMS, OutboundMessage.Channel.ZALO):
            short = OutboundMessage.Channel.SMS.value
        out.append((short, dossier.applicant_phone))
    return out


def applicant_message_context(dossier: Dossier) -> dict[str, Any]:
    """What every message to the applicant may print, with the status page's address."""
    tz = timezone.get_default_timezone()
    return {
        "code": dossier.code,
        "lookup_code": dossier.lookup_code,
        "procedure": dossier.procedure_version.name,
        "applicant": dossier.applicant_name,
        "appointment": dossier.appointment_at.astimezone(tz),
        "organization": dossier.receiving_organization.name_vi,
        "status_url": status_url(dossier.code),
        "receipt_url": receipt_url(dossier),
    }


# --- reports -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SatisfactionRow:
    key: str
    name: str
    rated: int
    satisfied: int

    @property
    def share(self) -> float:
        """Share of satisfied ratings (1.0 when nothing was rated: the index's empty rule)."""
        return self.satisfied / self.rated if self.rated else 1.0


def satisfaction_share(
    *, start: date, end: date, by: str = "organization", organization_codes: Iterable[str] = ()
) -> list[SatisfactionRow]:
    """Share of satisfied ratings per competent organisation or per procedure, for ratings
    given from `start` to `end` (local days, both included): the service index's
    "satisfied with dossier handling". Two queries (the counts, then the names)."""
    tz = timezone.get_default_timezone()
    low = datetime.combine(start, datetime.min.time(), tzinfo=tz)
    high = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    if by == "organization":
        key = "dossier__competent_organization__code"
        name = "dossier__competent_organization__name_vi"
    elif by == "procedure":
        key = "dossier__procedure_version__procedure__code"
        name = "dossier__procedure_version__name"
    else:
        raise ValueError(f"unknown grouping {by!r}")
    rows = Rating.objects.filter(created_at__gte=low, created_at__lt=high)
    codes = list(organization_codes)
    if codes:
        rows = rows.filter(dossier__competent_organization__code__in=codes)
    grouped = (
        rows.values(key)
        .annotate(rated=Count("pk"), happy=Count("pk", filter=Q(satisfied=True)))
        .order_by(key)
    )
    names: dict[str, str] = {}
    for value, label in rows.values_list(key, name).distinct():
        names.setdefault(value, label)
    return [
        SatisfactionRow(
            key=row[key],
            name=names.get(row[key], row[key]),
            rated=row["rated"],
            satisfied=row["happy"],
        )
        for row in grouped
    ]
