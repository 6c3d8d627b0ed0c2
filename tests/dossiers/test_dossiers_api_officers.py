"""The officers' dossier endpoints through the platform's API as mounted at /api/v1/."""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from dossiers_support import Clock, World, vn

from egov.core.models import AuditEntry
from egov.directory import services as directory_services
from egov.directory.models import Account, Officer
from egov.dossiers import api as dossiers_api
from egov.dossiers import selectors
from egov.dossiers.models import ClockStop, Dossier, DossierEvent, State

BASE = "/api/v1/dossiers"


def _client(officer: Officer, **options: Any) -> Client:
    client = Client(**options)
    client.force_login(officer.account)
    return client


def _post(client: Client, code: str, action: str, **body: Any) -> Any:
    return client.post(f"{BASE}/{code}/{action}", data=body, content_type="application/json")


def _fresh(dossier: Dossier) -> Dossier:
    return Dossier.objects.get(pk=dossier.pk)


def _key(world: World, scopes: list[str]) -> str:
    admin = Account.objects.filter(username="quantri").first() or (
        Account.objects.create_superuser("quantri", "qt@example.vn", "Mat-khau-2025!")
    )
    _key_row, raw = directory_services.apikey_create(
        actor=admin,
        organization=world.root,
        name="Hệ thống báo cáo",
        scopes=scopes,
    )
    return raw


def _walk_to_decision(world: World, dossier: Dossier) -> dict[str, Any]:
    """Accept, then the assessment and the consultation of the other organisation."""
    counter, reviewer = _client(world.counter), _client(world.reviewer)
    env = _client(world.env_officer)
    data = _post(counter, dossier.code, "accept", expected_version=1).json()
    for client in (reviewer, env):
        step = next(s for s in data["steps"] if s["current"])
        url = f"steps/{step['id']}"
        data = _post(client, dossier.code, f"{url}/start", expected_version=data["version"]).json()
        data = _post(
            client, dossier.code, f"{url}/complete", expected_version=data["version"], note="Đạt"
        ).json()
    return data


def test_state_values_match_the_model() -> None:
    assert list(typing.get_args(dossiers_api.StateValue)) == list(State.values)


def test_full_lifecycle_across_two_organisations(world: World, clock: Clock, receive: Any) -> None:
    dossier = receive()
    data = _walk_to_decision(world, dossier)
    assert data["state"] == "in_process"
    assert data["version"] == 6
    assert [s["current"] for s in data["steps"]] == [False, False, False, True, False]
    assert [s["result"] for s in data["steps"]] == ["early", "early", "early", "", ""]
    approved = _post(
        _client(world.head), dossier.code, "approve", expected_version=6, result_number="12/GPXD"
    )
    assert approved.status_code == 200, approved.content
    assert approved.json()["state"] == "approved"
    returned = _post(
        _client(world.counter), dossier.code, "return", expected_version=7, delivery="counter"
    )
    assert returned.status_code == 200, returned.content
    data = returned.json()
    assert data["state"] == "returned"
    assert data["version"] == 8
    assert data["timeliness"] == "early"
    assert data["result_number"] == "12/GPXD"
    assert data["delivery"] == "counter"
    assert data["portal_status"] == 10
    assert [e["action"] for e in data["events"]] == [
        "receive",
        "accept",
        "start_step",
        "complete_step",
        "start_step",
        "complete_step",
        "approve_result",
        "return_result",
    ]
    assert data["events"][3] == {
        "at": "2026-02-12T09:00:00+07:00",
        "action": "complete_step",
        "state_before": "in_process",
        "state_after": "in_process",
        "step_order": 2,
        "from_officer": world.reviewer.full_name,
        "from_unit": "H51.04.02",
        "to_officer": None,
        "to_unit": "H51.08",
        "note": "Đạt",
    }
    assert _fresh(dossier).state == State.RETURNED


def test_detail_shows_steps_fees_files_and_version(
    world: World, clock: Clock, receive: Any
) -> None:
    dossier = receive()
    answer = _client(world.counter).get(f"{BASE}/{dossier.code}")
    assert answer.status_code == 200
    data = answer.json()
    assert data["code"] == dossier.code
    assert data["version"] == 1
    assert data["state"] == "submitted"
    assert data["state_label"] == "Chờ kiểm tra tính đầy đủ"  # the default language
    assert data["procedure_code"] == "DEMO-XD-09"
    assert data["receiving_organization"]["code"] == "H51.20"
    assert data["competent_organization"]["code"] == "H51.04"
    assert data["applicant"]["national_id"] == "051185000123"
    assert data["timeliness"] == "on_time"
    assert data["timeliness"] == selectors.dossier_timeliness(dossier)
    assert data["steps"] == []
    assert [(f["name"], f["amount"], f["paid"]) for f in data["fees"]] == [
        ("Lệ phí cấp giấy phép", 75000, False),
        ("Phí thẩm định", 1000000, False),
    ]
    assert data["files"] == []
    assert data["due_at"] == "2026-02-26T17:00:00+07:00"


def test_supplement_stops_the_clock_and_resubmission_restarts_it(
    world: World, clock: Clock, receive: Any
) -> None:
    dossier = receive()
    counter = _client(world.counter)
    asked = _post(
        counter,
        dossier.code,
        "request-supplement",
        expected_version=1,
        items=[{"document_code": "TP2", "name": "Bản vẽ", "reason": "Thiếu chữ ký"}],
    )
    assert asked.status_code == 200, asked.content
    data = asked.json()
    assert data["state"] == "supplement_requested"
    assert data["clock_stops"][0]["resumed_at"] is None
    assert data["clock_stops"][0]["items"] == [
        {"document_code": "TP2", "name": "Bản vẽ", "reason": "Thiếu chữ ký"}
    ]
    clock.set(vn(2026, 3, 2, 10))
    again = _post(counter, dossier.code, "resubmit", expected_version=2, note="Đã bổ sung")
    assert again.status_code == 200, again.content
    data = again.json()
    assert data["state"] == "submitted"
    assert data["clock_stops"][0]["resumed_at"] == "2026-03-02T10:00:00+07:00"
    assert data["clock_started_at"] == "2026-03-02T10:00:00+07:00"
    assert data["due_at"] == "2026-03-09T17:00:00+07:00"


def test_refusal_needs_reasons_and_names_the_field(
    world: World, clock: Clock, receive: Any
) -> None:
    dossier = receive()
    counter = _client(world.counter)
    empty = _post(
        counter, dossier.code, "refuse", expected_version=1, reasons=[" "], legal_basis=""
    )
    assert empty.status_code == 422
    assert empty["Content-Type"] == "application/problem+json"
    assert empty.json()["code"] == "dossier.required"
    assert empty.json()["errors"][0]["field"] == "reasons"
    missing = _post(counter, dossier.code, "refuse", reasons=["x"], legal_basis="y")
    assert missing.status_code == 422
    assert missing.json()["code"] == "validation"
    assert [e["field"] for e in missing.json()["errors"]] == ["body.expected_version"]
    refused = _post(
        counter,
        dossier.code,
        "refuse",
        expected_version=1,
        reasons=["Không thuộc thẩm quyền"],
        legal_basis="Điều 12 Nghị định 118/2025/NĐ-CP",
    )
    assert refused.status_code == 200
    assert refused.json()["state"] == "refused"
    assert refused.json()["reasons"] == ["Không thuộc thẩm quyền"]


def test_a_stale_version_is_a_conflict_and_writes_nothing(
    world: World, clock: Clock, receive: Any
) -> None:
    dossier = receive()
    counter = _client(world.counter)
    assert _post(counter, dossier.code, "accept", expected_version=1).status_code == 200
    events = DossierEvent.objects.filter(dossier=dossier).count()
    stale = _post(
        counter,
        dossier.code,
        "request-supplement",
        expected_version=1,
        items=[{"name": "Bản vẽ", "reason": "Thiếu"}],
    )
    assert stale.status_code == 409
    assert stale["Content-Type"] == "application/problem+json"
    assert stale.json()["code"] == "dossier.conflict"
    fresh = _fresh(dossier)
    assert (fresh.state, fresh.version) == (State.ACCEPTED, 2)
    assert DossierEvent.objects.filter(dossier=dossier).count() == events
    assert not ClockStop.objects.filter(dossier=dossier).exists()


def test_a_transition_not_allowed_now_is_a_conflict(
    world: World, clock: Clock, receive: Any
) -> None:
    dossier = receive()
    answer = _post(
        _client(world.counter), dossier.code, "return", expected_version=1, delivery="post"
    )
    assert answer.status_code == 409
    assert answer.json()["code"] == "dossier.transition_not_allowed"
    assert _fresh(dossier).version == 1


def test_an_officer_without_the_role_is_refused_and_nothing_is_written(
    world: World, clock: Clock, receive: Any
) -> None:
    dossier = receive()
    audits = AuditEntry.objects.count()
    answer = _post(_client(world.head), dossier.code, "accept", expected_version=1)
    assert answer.status_code == 403
    assert answer.json()["code"] == "permission_denied"
    assert (_fresh(dossier).state, _fresh(dossier).version) == (State.SUBMITTED, 1)
    assert AuditEntry.objects.count() == audits


def test_a_dossier_out_of_reach_or_unknown_answers_404(
    world: World, clock: Clock, receive: Any
) -> None:
    dossier = receive()
    outsider = _client(world.outsider_counter)
    for answer in (
        outsider.get(f"{BASE}/{dossier.code}"),
        _post(outsider, dossier.code, "accept", expected_version=1),
        _client(world.counter).get(f"{BASE}/000.00.20.H51-260212-9999"),
    ):
        assert answer.status_code == 404
        assert answer.json()["code"] == "dossier.not_found"
    assert _fresh(dossier).version == 1
    unknown_step = _post(
        _client(world.counter), dossier.code, "steps/999999/start", expected_version=1
    )
    assert unknown_step.status_code == 404
    assert unknown_step.json()["code"] == "dossier.step_not_found"


def test_anonymous_callers_get_401() -> None:
    client = Client()
    assert client.get(BASE).status_code == 401
    assert _post(client, "X", "accept", expected_version=1).status_code == 401


def test_session_actions_need_the_csrf_token(world: World, clock: Clock, receive: Any) -> None:
    dossier = receive()
    client = _client(world.counter, enforce_csrf_checks=True)
    refused = _post(client, dossier.code, "accept", expected_version=1)
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    assert _fresh(dossier).version == 1
    secret = "a" * 32
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    accepted = client.post(
        f"{BASE}/{dossier.code}/accept",
        data={"expected_version": 1},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=secret,
    )
    assert accepted.status_code == 200, accepted.content
    assert _fresh(dossier).state == State.ACCEPTED


def test_an_api_key_reads_with_its_scope_but_never_acts(
    world: World, clock: Clock, receive: Any
) -> None:
    dossier = receive()
    client = Client()
    reader = {"HTTP_X_API_KEY": _key(world, ["dossiers.read"])}
    listed = client.get(BASE, **reader)
    assert listed.status_code == 200
    assert [d["code"] for d in listed.json()["items"]] == [dossier.code]
    assert client.get(f"{BASE}/{dossier.code}", **reader).json()["version"] == 1
    acted = client.post(
        f"{BASE}/{dossier.code}/accept",
        data={"expected_version": 1},
        content_type="application/json",
        **reader,
    )
    assert acted.status_code == 403
    assert acted.json()["code"] == "permission_denied"
    assert _fresh(dossier).version == 1
    submitter = Client().get(BASE, HTTP_AUTHORIZATION=f"Bearer {_key(world, ['dossiers.submit'])}")
    assert submitter.status_code == 403
    assert submitter.json()["code"] == "api_key.scope_missing"


def test_queue_filters_and_a_constant_number_of_queries(
    world: World,
    clock: Clock,
    receive: Any,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    first = receive()
    second = receive()
    counter = _client(world.counter)
    assert _post(counter, first.code, "accept", expected_version=1).status_code == 200
    head = _client(world.head)
    head.get(BASE)  # the session's first request touches it; count from the second
    # session, account, officer, roles, the organisation's members (x3, see the report),
    # the calendar's version, the count, the page (with the open clock stop as a subquery)
    with django_assert_num_queries(10):
        everything = head.get(BASE)
    assert everything.json()["count"] == 2
    assert [d["code"] for d in everything.json()["items"]] == [second.code, first.code]
    receive()
    receive()
    with django_assert_num_queries(10):
        assert head.get(BASE).json()["count"] == 4
    accepted = head.get(BASE, {"state": "accepted"}).json()
    assert [d["code"] for d in accepted["items"]] == [first.code]
    assert head.get(BASE, {"procedure": "NONE"}).json()["count"] == 0
    assert head.get(BASE, {"procedure": "DEMO-XD-09", "page_size": 1}).json()["count"] == 4
    assert head.get(BASE, {"overdue": "true"}).json()["count"] == 0
    clock.set(vn(2026, 2, 27, 8))  # the day after the appointment day
    late = head.get(BASE, {"overdue": "true"}).json()
    assert late["count"] == 4
    assert {d["timeliness"] for d in late["items"]} == {"overdue"}
    assert head.get(BASE, {"overdue": "false"}).json()["count"] == 0
    assert head.get(BASE, {"state": "nonsense"}).status_code == 422


def test_overdue_is_judged_at_the_stop_while_the_clock_stands(
    world: World, clock: Clock, receive: Any
) -> None:
    dossier = receive()
    counter = _client(world.counter)
    clock.set(vn(2026, 2, 25, 9))
    _post(
        counter,
        dossier.code,
        "request-supplement",
        expected_version=1,
        items=[{"name": "Bản vẽ", "reason": "Thiếu"}],
    )
    clock.set(vn(2026, 3, 20, 9))
    answer = counter.get(BASE, {"overdue": "true"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["count"] == 0
    shown = counter.get(f"{BASE}/{dossier.code}").json()
    assert shown["timeliness"] == "on_time" == selectors.dossier_timeliness(_fresh(dossier))
    clock.set(vn(2026, 2, 12, 9))
    late = receive()
    clock.set(vn(2026, 2, 27, 9))  # the day after its due day
    _post(
        counter,
        late.code,
        "request-supplement",
        expected_version=1,
        items=[{"name": "Bản vẽ", "reason": "Thiếu"}],
    )
    clock.set(vn(2026, 3, 20, 9))
    overdue = counter.get(BASE, {"overdue": "true"}).json()
    assert [d["code"] for d in overdue["items"]] == [late.code]
    assert overdue["items"][0]["timeliness"] == "overdue"
    assert selectors.dossier_timeliness(_fresh(late)) == "overdue"
    on_time = counter.get(BASE, {"overdue": "false"}).json()
    assert [d["code"] for d in on_time["items"]] == [dossier.code]


def test_deny_withdraw_cancel_apologize_and_cash_payment(
    world: World, clock: Clock, receive: Any
) -> None:
    denied = receive()
    data = _walk_to_decision(world, denied)
    head = _client(world.head)
    no_reason = _post(head, denied.code, "deny", expected_version=data["version"], reasons=[])
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "reasons"
    answer = _post(
        head, denied.code, "deny", expected_version=data["version"], reasons=["Sai quy hoạch"]
    )
    assert answer.status_code == 200
    assert (answer.json()["state"], answer.json()["reasons"]) == ("denied", ["Sai quy hoạch"])

    counter = _client(world.counter)
    withdrawn = receive()
    answer = _post(counter, withdrawn.code, "withdraw", expected_version=1, reason="Đơn rút")
    assert answer.json()["state"] == "withdrawn"

    cancelled = receive()
    empty = _post(head, cancelled.code, "cancel", expected_version=1, reason="")
    assert empty.status_code == 422
    assert empty.json()["errors"][0]["field"] == "reason"
    answer = _post(head, cancelled.code, "cancel", expected_version=1, reason="Trùng hồ sơ")
    assert answer.json()["state"] == "cancelled"

    late = receive()
    _post(counter, late.code, "accept", expected_version=1)
    naive = _post(
        counter,
        late.code,
        "apologize",
        expected_version=2,
        reason="Chờ ý kiến",
        new_appointment_at="2026-03-05T17:00:00",
    )
    assert naive.status_code == 422
    assert _fresh(late).version == 2
    answer = _post(
        counter,
        late.code,
        "apologize",
        expected_version=2,
        reason="Chờ ý kiến",
        new_appointment_at="2026-03-05T17:00:00+07:00",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["appointment_at"] == "2026-03-05T17:00:00+07:00"
    assert answer.json()["apologies"][0]["previous_appointment_at"] == "2026-02-26T17:00:00+07:00"

    paid = _post(counter, late.code, "payments/cash", expected_version=3, receipt_number="BL-01")
    assert paid.status_code == 200, paid.content
    assert [(f["paid"], f["method"]) for f in paid.json()["fees"]] == [
        (True, "counter_cash"),
        (True, "counter_cash"),
    ]
    twice = _post(counter, late.code, "payments/cash", expected_version=4)
    assert twice.status_code == 422
    assert twice.json()["code"] == "dossier.nothing_due"


@pytest.mark.parametrize("how", ["unknown_code", "wrong_phone", "wrong_national_id"])
def test_status_misses_answer_the_same_document_after_the_same_work(
    world: World,
    clock: Clock,
    receive: Any,
    django_assert_num_queries: Callable[..., Any],
    how: str,
) -> None:
    dossier = receive()
    client = Client()
    reference_url = "/api/v1/dossiers/000.00.20.H51-260212-9999/status"
    reference = client.get(reference_url, {"phone": "0900000001"})
    url = {
        "unknown_code": (reference_url, {"national_id": "051185000123"}),
        "wrong_phone": (f"{BASE}/{dossier.code}/status", {"phone": "0900000002"}),
        "wrong_national_id": (f"{BASE}/{dossier.code}/status", {"national_id": "051185000124"}),
    }[how]
    with django_assert_num_queries(1):
        answer = client.get(url[0], url[1])
    assert answer.status_code == reference.status_code == 404
    assert answer["Content-Type"] == reference["Content-Type"] == "application/problem+json"

    def stripped(body: dict[str, Any]) -> bytes:
        return repr({k: v for k, v in body.items() if k not in ("instance", "request_id")}).encode()

    assert stripped(answer.json()) == stripped(reference.json())
    assert sorted(answer.json()) == sorted(reference.json())
