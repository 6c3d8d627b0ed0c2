"""Notifications: rendered per language, delivered through a real local SMTP server, retried."""

from __future__ import annotations

import email
import email.policy
import json
import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from egov.core.errors import ValidationFailed
from egov.core.models import OutboundMessage
from egov.core.notifications import FileSmsBackend, notification_send
from egov.core.tasks import deliver_message

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    """aiosmtpd handler that keeps every envelope, or refuses every message."""

    def __init__(self, refuse: bool = False) -> None:
        self.envelopes: list[Any] = []
        self.refuse = refuse

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return "550 5.7.1 Message rejected by policy"
        self.envelopes.append(envelope)
        return "250 OK"


def _use_smtp(settings: Any, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5


def _start(handler: Inbox) -> tuple[Controller, int]:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, port


@pytest.fixture
def smtp_inbox(settings: Any) -> Iterator[Inbox]:
    inbox = Inbox()
    controller, port = _start(inbox)
    _use_smtp(settings, port)
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def smtp_refusing(settings: Any) -> Iterator[Inbox]:
    inbox = Inbox(refuse=True)
    controller, port = _start(inbox)
    _use_smtp(settings, port)
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def smtp_down(settings: Any) -> int:
    port = free_port()  # nothing listens there
    _use_smtp(settings, port)
    return port


def _arrived(envelope: Any) -> email.message.EmailMessage:
    return email.message_from_bytes(envelope.content, policy=email.policy.default)  # type: ignore[return-value]


def _subject(message: email.message.EmailMessage) -> str:
    # Python folds a long encoded subject as "Subject: CRLF =?utf-8?b?…?="; the folding
    # white space is not part of the value (RFC 5322 §2.2.3) but CPython's parser keeps it.
    return str(message["Subject"]).strip()


def _text(part: Any) -> str:
    return str(part.get_content()).replace("\r\n", "\n")


CONTEXT = {
    "name": "Nguyễn Văn An",
    "username": "nva",
    "url": "https://dichvucong.example.gov.vn/dang-nhap",
    "site_name": "Cổng dịch vụ công tỉnh",
}


def test_vietnamese_email_arrives_through_smtp(
    settings: Any, smtp_inbox: Inbox, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks(execute=True):
        message = notification_send(
            channel="email",
            recipient="nguyen.van.an@example.vn",
            template="account_created",
            context=CONTEXT,
            language="vi",
        )

    assert len(smtp_inbox.envelopes) == 1
    envelope = smtp_inbox.envelopes[0]
    assert envelope.mail_from == settings.DEFAULT_FROM_EMAIL
    assert envelope.rcpt_tos == ["nguyen.van.an@example.vn"]
    arrived = _arrived(envelope)
    assert _subject(arrived) == "Tài khoản nva trên Cổng dịch vụ công tỉnh đã được tạo"
    assert arrived["To"] == "nguyen.van.an@example.vn"
    assert arrived["Auto-Submitted"] == "auto-generated"
    assert _text(arrived.get_body(("plain",))) == (
        "Xin chào Nguyễn Văn An,\n"
        "\n"
        "Tài khoản nva của bạn trên Cổng dịch vụ công tỉnh đã được tạo.\n"
        "Đăng nhập tại: https://dichvucong.example.gov.vn/dang-nhap\n"
        "\n"
        "Vì an toàn, hãy đổi mật khẩu ngay lần đăng nhập đầu tiên và không chia sẻ mật khẩu "
        "với bất kỳ ai.\n"
        "\n"
        "Đây là thư tự động, vui lòng không trả lời.\n"
    )
    html = _text(arrived.get_body(("html",)))
    assert '<a href="https://dichvucong.example.gov.vn/dang-nhap">' in html
    assert "<strong>nva</strong>" in html

    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert message.attempts == 1
    assert message.last_error == ""
    assert message.sent_at is not None


def test_english_template_is_used_for_english(
    settings: Any, smtp_inbox: Inbox, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(
            channel="email",
            recipient="an@example.vn",
            template="test",
            context={"name": "An"},
            language="en",
        )
    arrived = _arrived(smtp_inbox.envelopes[0])
    assert _subject(arrived) == "Test message from Open eGov VN"
    assert _text(arrived.get_body(("plain",))) == (
        "Hello An,\n\nThis is a test message from Open eGov VN. If you received it, sending "
        "e-mail works.\n\nThis message was sent automatically; please do not reply.\n"
    )
    assert arrived.get_content_type() == "text/plain"  # this template has no HTML part


def test_plain_text_is_not_html_escaped_but_html_is(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks(execute=True):
        message = notification_send(
            channel="email",
            recipient="an@example.vn",
            template="account_created",
            context={**CONTEXT, "site_name": "Sở Tài nguyên & Môi trường <TN&MT>"},
        )
    assert message.subject == "Tài khoản nva trên Sở Tài nguyên & Môi trường <TN&MT> đã được tạo"
    assert "Sở Tài nguyên & Môi trường <TN&MT> đã được tạo." in message.body
    assert "Sở Tài nguyên &amp; Môi trường &lt;TN&amp;MT&gt;" in message.body_html
    assert mail.outbox[0].subject == message.subject


def test_delivery_waits_for_the_commit(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = notification_send(
            channel="email", recipient="an@example.vn", template="test", context={"name": "An"}
        )
    assert len(callbacks) == 1
    assert mail.outbox == []
    assert OutboundMessage.objects.get(pk=message.pk).status == OutboundMessage.Status.QUEUED


def test_smtp_down_records_the_error_and_schedules_a_retry_with_backoff(
    settings: Any, smtp_down: int, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = DATABASE
    settings.EGOV_NOTIFY_RETRY_BASE_SECONDS = 60
    with django_capture_on_commit_callbacks(execute=True):
        message = notification_send(
            channel="email", recipient="an@example.vn", template="test", context={"name": "An"}
        )
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "egov.core.tasks.deliver_message"
    assert queued.args_kwargs == {"args": [message.pk], "kwargs": {}}

    for attempt, delay in [(1, 60), (2, 120), (3, 240)]:
        before = timezone.now()
        with django_capture_on_commit_callbacks(execute=True):
            outcome = deliver_message.call(message.pk)
        after = timezone.now()
        assert outcome == "retry"
        message.refresh_from_db()
        assert message.status == OutboundMessage.Status.QUEUED
        assert message.attempts == attempt
        assert message.last_error.startswith("ConnectionRefusedError")
        assert message.sent_at is None
        retry = DBTaskResult.objects.order_by("-enqueued_at", "-run_after").first()
        assert retry is not None
        assert DBTaskResult.objects.count() == 1 + attempt
        assert retry.args_kwargs == {"args": [message.pk], "kwargs": {}}
        assert before + timedelta(seconds=delay) <= retry.run_after
        assert retry.run_after <= after + timedelta(seconds=delay)


def test_refusing_smtp_server_leads_to_failed_after_max_attempts(
    settings: Any, smtp_refusing: Inbox, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = DATABASE
    settings.EGOV_NOTIFY_MAX_ATTEMPTS = 2
    with django_capture_on_commit_callbacks(execute=True):
        message = notification_send(
            channel="email", recipient="an@example.vn", template="test", context={"name": "An"}
        )
        assert deliver_message.call(message.pk) == "retry"
        assert deliver_message.call(message.pk) == "failed"
        assert deliver_message.call(message.pk) == "failed"  # nothing more happens
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.FAILED
    assert message.attempts == 2
    assert "550" in message.last_error
    assert "Message rejected by policy" in message.last_error
    assert smtp_refusing.envelopes == []
    # the first enqueue and one retry; no retry after the last attempt
    assert DBTaskResult.objects.count() == 2


def test_immediate_backend_retries_at_once_up_to_the_limit(
    settings: Any, smtp_down: int, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = IMMEDIATE
    settings.EGOV_NOTIFY_MAX_ATTEMPTS = 3
    with django_capture_on_commit_callbacks(execute=True):
        message = notification_send(
            channel="email", recipient="an@example.vn", template="test", context={"name": "An"}
        )
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.FAILED
    assert message.attempts == 3


def test_sent_message_is_not_sent_again(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks(execute=True):
        message = notification_send(
            channel="email", recipient="an@example.vn", template="test", context={"name": "An"}
        )
    assert len(mail.outbox) == 1
    assert deliver_message.call(message.pk) == "sent"
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.attempts == 1


def test_attempt_already_claimed_by_another_worker_is_skipped(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.TASKS = DATABASE
    message = OutboundMessage.objects.create(
        channel="email", recipient="an@example.vn", template="test", subject="s", body="b"
    )
    manager = OutboundMessage.objects
    original = manager.filter
    calls: list[dict[str, Any]] = []

    def filter_with_a_rival(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        if len(calls) == 2:  # the claim: a rival worker raised `attempts` just before it
            original(pk=message.pk).update(attempts=1)
        return original(*args, **kwargs)

    monkeypatch.setattr(manager, "filter", filter_with_a_rival)
    assert deliver_message.call(message.pk) == "busy"
    monkeypatch.undo()
    assert mail.outbox == []
    message.refresh_from_db()
    assert message.attempts == 1
    assert message.status == OutboundMessage.Status.QUEUED


def test_missing_message_is_ignored() -> None:
    assert deliver_message.call(987654321) == "missing"


@pytest.mark.parametrize("channel", ["sms", "zalo"])
def test_short_text_goes_to_the_file_backend(
    settings: Any, channel: str, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks(execute=True):
        message = notification_send(
            channel=channel,
            recipient="0912 345.678",
            template="account_created",
            context=CONTEXT,
        )
    lines = (Path(settings.EGOV_SMS_FILE_DIR) / f"{channel}.jsonl").read_text("utf-8").splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["channel"] == channel
    assert record["recipient"] == "0912345678"
    assert record["text"] == (
        "Cổng dịch vụ công tỉnh: tai khoan nva da duoc tao. Dang nhap tai "
        "https://dichvucong.example.gov.vn/dang-nhap va doi mat khau ngay."
    )
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert message.subject == ""


def test_file_backend_appends_lines(settings: Any) -> None:
    backend = FileSmsBackend("sms")
    backend.send("+84912345678", "Hồ sơ 000.00.00.H51-250101-0001 đã có kết quả")
    backend.send("0912345678", "thứ hai")
    lines = (Path(settings.EGOV_SMS_FILE_DIR) / "sms.jsonl").read_text("utf-8").splitlines()
    assert [json.loads(line)["text"] for line in lines] == [
        "Hồ sơ 000.00.00.H51-250101-0001 đã có kết quả",
        "thứ hai",
    ]


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"channel": "fax", "recipient": "an@example.vn"}, "notification.bad_channel"),
        ({"channel": "email", "recipient": "not an address"}, "notification.bad_recipient"),
        ({"channel": "sms", "recipient": "09-abc"}, "notification.bad_recipient"),
        (
            {"channel": "email", "recipient": "an@example.vn", "language": "fr"},
            "notification.bad_language",
        ),
        (
            {"channel": "email", "recipient": "an@example.vn", "template": "no_such_template"},
            "notification.unknown_template",
        ),
    ],
)
def test_bad_notifications_are_refused_and_nothing_is_queued(
    settings: Any, kwargs: dict[str, Any], code: str, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = DATABASE
    arguments = {"template": "test", "context": {"name": "An"}, **kwargs}
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationFailed) as excinfo,
    ):
        notification_send(**arguments)
    assert excinfo.value.code == code
    assert OutboundMessage.objects.count() == 0
    assert DBTaskResult.objects.count() == 0
    assert mail.outbox == []
