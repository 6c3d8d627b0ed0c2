"""The applicant's rating of a settled dossier, the audited e-result download, the satisfaction
share for the reports, and the notifications that tell the applicant each step with a link."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from dossiers_support import Clock, World, vn

from egov.core.errors import NotFound, PermissionDenied, ValidationFailed
from egov.core.models import AuditEntry, OutboundMessage
from egov.directory.models import Account
from egov.dossiers import citizen_selectors, citizen_services, rating_questions, services
from egov.dossiers.models import Dossier, DossierStep, Rating

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ANSWERS = {
    "overall": "very_satisfied",
    "time": "satisfied",
    "attitude": "very_satisfied",
    "guidance": "satisfied",
    "visits": "none",
}


def _fresh(dossier: Dossier) -> Dossier:
    return Dossier.objects.get(pk=dossier.pk)


def _decided(world: World, dossier: Dossier, *, approve: bool = True, pay: bool = True) -> Dossier:
    if pay:
        services.dossier_record_cash_payment(actor=world.counter.account, dossier=dossier)
        dossier = _fresh(dossier)
    services.dossier_accept(actor=world.counter.account, dossier=dossier)
    dossier = _fresh(dossier)
    steps = list(DossierStep.objects.filter(dossier=dossier).order_by("order"))
    for step, officer in ((steps[1], world.reviewer), (steps[2], world.env_officer)):
        services.dossier_start_step(actor=officer.account, dossier=dossier, step=step)
        dossier = _fresh(dossier)
        services.dossier_complete_step(actor=officer.account, dossier=dossier, step=step)
        dossier = _fresh(dossier)
    if approve:
        services.dossier_approve_result(
            actor=world.head.account,
            dossier=dossier,
            result_file=services.IncomingFile(upload=PDF, name="giay-phep.pdf"),
        )
        Dossier.objects.filter(pk=dossier.pk).update(result_signed_at=vn(2026, 2, 13, 9, 0))
    else:
        services.dossier_deny_result(actor=world.head.account, dossier=dossier, reasons=["Sai"])
    return _fresh(dossier)


# --- the questions -------------------------------------------------------------------------------


def test_the_question_set_gives_the_score_and_satisfaction_from_the_overall_answer() -> None:
    keys = [q.key for q in rating_questions.question_set()]
    assert keys == ["overall", "time", "attitude", "guidance", "visits"]
    levels = [key for key, _label in rating_questions.LEVELS]
    assert levels == [
        "very_satisfied",
        "satisfied",
        "neutral",
        "dissatisfied",
        "very_dissatisfied",
    ]
    assert [rating_questions.score_of({"overall": level}) for level in levels] == [5, 4, 3, 2, 1]
    assert [rating_questions.is_satisfied({"overall": level}) for level in levels] == [
        True,
        True,
        False,
        False,
        False,
    ]


# --- rating_submit -------------------------------------------------------------------------------


def test_the_applicant_rates_a_decided_dossier_once_with_an_audit_entry(
    world: World, clock: Clock, receive: Any
) -> None:
    dossier = _decided(world, receive())
    rating = citizen_services.rating_submit(
        dossier=dossier, answers=ANSWERS, comment="  Rất tốt  ", actor=world.applicant.account
    )
    assert (rating.score, rating.satisfied, rating.comment) == (5, True, "Rất tốt")
    assert rating.answers == ANSWERS
    assert rating.questions_version == rating_questions.VERSION
    assert rating.account == world.applicant.account
    entry = AuditEntry.objects.get(action="dossiers.rating.submit")
    assert entry.object_id == str(dossier.pk)
    assert entry.summary["after"]["score"] == 5
    with pytest.raises(citizen_services.RatingAlreadyGiven) as again:
        citizen_services.rating_submit(
            dossier=dossier, answers=ANSWERS, actor=world.applicant.account
        )
    assert again.value.code == "rating.already_given"
    assert Rating.objects.count() == 1
    assert AuditEntry.objects.filter(action="dossiers.rating.submit").count() == 1


def test_a_denied_dossier_can_be_rated_too(world: World, clock: Clock, receive: Any) -> None:
    dossier = _decided(world, receive(), approve=False)
    rating = citizen_services.rating_submit(
        dossier=dossier,
        answers={**ANSWERS, "overall": "very_dissatisfied"},
        actor=world.applicant.account,
    )
    assert (rating.score, rating.satisfied) == (1, False)


@pytest.mark.parametrize("state", ["submitted", "accepted", "supplement_requested"])
def test_no_rating_before_the_result(world: World, clock: Clock, receive: Any, state: str) -> None:
    dossier = receive()
    if state == "accepted":
        dossier = services.dossier_accept(actor=world.counter.account, dossier=dossier)
    if state == "supplement_requested":
        dossier = services.dossier_request_supplement(
            actor=world.counter.account, dossier=dossier, items=[{"name": "A", "reason": "B"}]
        )
    with pytest.raises(ValidationFailed) as caught:
        citizen_services.rating_submit(
            dossier=dossier, answers=ANSWERS, actor=world.applicant.account
        )
    assert caught.value.code == "rating.too_early"
    assert Rating.objects.count() == 0
    assert AuditEntry.objects.filter(action="dossiers.rating.submit").count() == 0


def test_only_the_applicant_rates(world: World, clock: Clock, receive: Any) -> None:
    dossier = _decided(world, receive())
    other = receive()
    someone = Account.objects.create_user("someone", "s@example.vn", "Mat-khau-2025!")
    for actor, proof in [
        (None, ""),
        (someone, ""),
        (world.counter.account, ""),  # received it at the counter: not the applicant
        (world.head.account, ""),
        (None, citizen_selectors.proof_issue(other)),  # proof for another dossier
        (None, "forged"),
    ]:
        with pytest.raises(PermissionDenied):
            citizen_services.rating_submit(
                dossier=dossier, answers=ANSWERS, actor=actor, proof=proof
            )
    assert Rating.objects.count() == 0
    rating = citizen_services.rating_submit(
        dossier=dossier, answers=ANSWERS, proof=citizen_selectors.proof_issue(dossier)
    )
    assert rating.account is None
    entry = AuditEntry.objects.get(action="dossiers.rating.submit")
    assert entry.summary["after"]["via"] == "status_page"


def test_bad_answers_and_long_comments_are_refused_and_nothing_is_written(
    world: World, clock: Clock, receive: Any
) -> None:
    dossier = _decided(world, receive())
    account = world.applicant.account
    cases = [
        ({k: v for k, v in ANSWERS.items() if k != "overall"}, "", "rating.answer_missing"),
        ({**ANSWERS, "time": "great"}, "", "rating.answer_unknown"),
        (ANSWERS, "x" * (rating_questions.COMMENT_MAX + 1), "rating.comment_too_long"),
    ]
    for answers, comment, code in cases:
        with pytest.raises(ValidationFailed) as caught:
            citizen_services.rating_submit(
                dossier=dossier, answers=answers, comment=comment, actor=account
            )
        assert caught.value.code == code
    assert Rating.objects.count() == 0
    ok = citizen_services.rating_submit(
        dossier=dossier, answers=ANSWERS, comment="x" * rating_questions.COMMENT_MAX, actor=account
    )
    assert len(ok.comment) == rating_questions.COMMENT_MAX


# --- e-result download ---------------------------------------------------------------------------


def test_the_result_download_is_for_the_applicant_only_and_audited(
    world: World, clock: Clock, receive: Any
) -> None:
    dossier = _decided(world, receive())
    with pytest.raises(PermissionDenied):
        citizen_services.result_download_record(dossier=dossier, actor=None, via="account")
    with pytest.raises(PermissionDenied):
        citizen_services.result_download_record(
            dossier=dossier, actor=world.counter.account, via="account"
        )
    assert AuditEntry.objects.filter(action="dossiers.result.download").count() == 0
    stored = citizen_services.result_download_record(
        dossier=dossier, actor=world.applicant.account, via="account"
    )
    assert stored.pk == dossier.result_file_id
    entry = AuditEntry.objects.get(action="dossiers.result.download")
    assert entry.summary["after"]["sha256"] == stored.sha256


def test_no_download_of_an_unsigned_result_or_with_fees_unpaid(
    world: World, clock: Clock, receive: Any
) -> None:
    unpaid = _decided(world, receive(), pay=False)
    with pytest.raises(ValidationFailed) as caught:
        citizen_services.result_download_record(
            dossier=unpaid, actor=world.applicant.account, via="account"
        )
    assert caught.value.code == "dossier.fees_unpaid"
    unsigned = _decided(world, receive())
    Dossier.objects.filter(pk=unsigned.pk).update(result_signed_at=None)
    with pytest.raises(NotFound):
        citizen_services.result_download_record(
            dossier=_fresh(unsigned), actor=world.applicant.account, via="account"
        )
    assert AuditEntry.objects.filter(action="dossiers.result.download").count() == 0


# --- the reports' selector -----------------------------------------------------------------------


def test_satisfaction_share_per_organisation_and_procedure(
    world: World, clock: Clock, receive: Any
) -> None:
    for overall in ["very_satisfied", "satisfied", "dissatisfied"]:
        dossier = _decided(world, receive())
        citizen_services.rating_submit(
            dossier=dossier, answers={**ANSWERS, "overall": overall}, actor=world.applicant.account
        )
    clock.set(vn(2026, 3, 2, 9, 0))
    late = _decided(world, receive())
    citizen_services.rating_submit(dossier=late, answers=ANSWERS, actor=world.applicant.account)
    february = citizen_selectors.satisfaction_share(start=date(2026, 2, 1), end=date(2026, 2, 28))
    assert [(r.key, r.name, r.rated, r.satisfied) for r in february] == [
        ("H51.04", "Sở Xây dựng", 3, 2)
    ]
    assert february[0].share == pytest.approx(2 / 3)
    by_procedure = citizen_selectors.satisfaction_share(
        start=date(2026, 2, 1), end=date(2026, 3, 31), by="procedure"
    )
    assert [(r.key, r.rated, r.satisfied) for r in by_procedure] == [("DEMO-XD-09", 4, 3)]
    assert citizen_selectors.satisfaction_share(start=date(2026, 4, 1), end=date(2026, 4, 30)) == []


# --- notifications -------------------------------------------------------------------------------

CASES: list[tuple[str, dict[str, Any], str]] = [
    ("dossier_received", {}, "Hồ sơ {code} đã được tiếp nhận"),
    (
        "dossier_supplement_requested",
        {"items": [{"name": "Bản vẽ", "reason": "Thiếu chữ ký"}]},
        "Hồ sơ {code}: cần bổ sung giấy tờ",
    ),
    ("dossier_resubmitted", {}, "Hồ sơ {code}: đã nhận giấy tờ bổ sung"),
    (
        "dossier_refused",
        {"reasons": ["Không thuộc thẩm quyền"], "legal_basis": "Luật Xây dựng"},
        "Hồ sơ {code} không được tiếp nhận",
    ),
    ("dossier_result_ready", {"approved": True, "reasons": []}, "Hồ sơ {code}: đã có kết quả"),
    ("dossier_returned", {"delivery": "Online"}, "Hồ sơ {code}: đã trả kết quả"),
    (
        "dossier_apology",
        {"reason": "Chờ ý kiến"},
        "Hồ sơ {code}: xin lỗi và hẹn lại ngày trả kết quả",
    ),
    ("dossier_cancelled", {"reason": "Nộp trùng"}, "Hồ sơ {code}: dừng giải quyết"),
]


@pytest.mark.parametrize(("template", "extra", "subject"), CASES)
def test_each_step_is_told_by_email_and_sms_with_the_status_link(
    world: World,
    clock: Clock,
    receive: Any,
    settings: Any,
    template: str,
    extra: dict[str, Any],
    subject: str,
) -> None:
    settings.EGOV_PUBLIC_URL = "https://dichvucong.example.gov.vn"
    dossier = receive()
    before = OutboundMessage.objects.count()
    sent = citizen_services.applicant_notify(dossier=dossier, template=template, **extra)
    assert OutboundMessage.objects.count() == before + 2
    link = f"https://dichvucong.example.gov.vn/tra-cuu-ho-so/{dossier.code}/"
    assert [(m.channel, m.recipient) for m in sent] == [
        ("email", "dan@test.example"),
        ("sms", "0900000001"),
    ]
    mail, sms = sent
    assert mail.subject == subject.format(code=dossier.code)
    assert mail.template == template
    for message in sent:
        assert link in message.body
        assert world.applicant.national_id not in message.body  # never the second factor
    assert "0900000001" not in mail.body


def test_the_short_channel_can_be_zalo_and_nothing_goes_without_contacts(
    world: World, clock: Clock, receive: Any, settings: Any
) -> None:
    settings.EGOV_APPLICANT_SHORT_CHANNEL = "zalo"
    dossier = receive()
    sent = citizen_services.applicant_notify(dossier=dossier, template="dossier_received")
    assert [m.channel for m in sent] == ["email", "zalo"]
    Dossier.objects.filter(pk=dossier.pk).update(applicant_phone="", applicant_email="")
    before = OutboundMessage.objects.count()
    assert (
        citizen_services.applicant_notify(dossier=_fresh(dossier), template="dossier_received")
        == []
    )
    assert OutboundMessage.objects.count() == before


class _Inbox:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp(settings: Any) -> Iterator[_Inbox]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    try:
        yield inbox
    finally:
        controller.stop()


def test_the_supplement_request_arrives_by_smtp_with_the_list_and_the_link(
    world: World,
    clock: Clock,
    receive: Any,
    settings: Any,
    smtp: _Inbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.EGOV_PUBLIC_URL = "https://dichvucong.example.gov.vn"
    dossier = receive()
    with django_capture_on_commit_callbacks(execute=True):
        citizen_services.applicant_notify(
            dossier=dossier,
            template="dossier_supplement_requested",
            items=[{"name": "Bản vẽ mặt bằng", "reason": "Thiếu chữ ký"}],
        )
    assert len(smtp.envelopes) == 1
    envelope = smtp.envelopes[0]
    assert envelope.rcpt_tos == ["dan@test.example"]
    arrived = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert str(arrived["Subject"]).strip() == f"Hồ sơ {dossier.code}: cần bổ sung giấy tờ"
    body = str(arrived.get_body(("plain",)).get_content()).replace("\r\n", "\n")  # type: ignore[union-attr]
    assert "- Bản vẽ mặt bằng: Thiếu chữ ký\n" in body
    assert f"https://dichvucong.example.gov.vn/tra-cuu-ho-so/{dossier.code}/" in body
    sms = OutboundMessage.objects.get(channel="sms", template="dossier_supplement_requested")
    assert sms.status == OutboundMessage.Status.SENT
