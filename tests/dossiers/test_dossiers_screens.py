"""The one-stop screens: counter intake, the queue, the dossier page and its actions, the board,
search, file downloads and the public status page."""

from __future__ import annotations

from typing import Any

import pytest
from directory_factories import AccountFactory, OfficerFactory, OrganizationFactory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from dossiers_support import FORM, PROCEDURE_CODE, Clock, World, vn
from egov_testing import language_client

from egov.core.botguard import form_token
from egov.core.models import AuditEntry
from egov.directory.models import Role, Scope
from egov.dossiers import services
from egov.dossiers.models import Dossier, DossierFile, State
from egov.dossiers.views import accent_free_pattern, dossier_board

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MATRIX = ["anonymous", "citizen", "other_org_officer", "officer_without_role", "with_role"]


def _client(account: Any) -> Client:
    client = Client()
    if account is not None:
        client.force_login(account)
    return client


def _who(name: str, world: World, role_holder: Any) -> Any:
    if name == "anonymous":
        return None
    if name == "citizen":
        return world.applicant.account
    if name == "other_org_officer":
        other = OrganizationFactory(code="H51.40", parent=world.root)
        return OfficerFactory(unit=other, roles=[(Role.OFFICER, Scope.ORGANIZATION)]).account
    if name == "officer_without_role":
        return OfficerFactory(unit=role_holder.unit, roles=[]).account
    return role_holder.account


def _receive_post(**extra: Any) -> dict[str, Any]:
    data = {
        "applicant_id": "051185000123",
        "f_ho_ten": FORM["ho_ten"],
        "f_so_dinh_danh": FORM["so_dinh_danh"],
        "f_gia_tri": "2000000000",
        "doc_TP1": "on",
        "doc_TP2": "on",
        "action": "receive",
    }
    data.update(extra)
    return data


# --- the counter ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", MATRIX)
def test_counter_screen_permission_matrix(world: World, clock: Clock, who: str) -> None:
    client = _client(_who(who, world, world.counter))
    url = f"/lam-viec/ho-so/tiep-nhan/{PROCEDURE_CODE}/"
    get = client.get(url)
    post = client.post(url, _receive_post())
    if who == "anonymous":
        assert get.status_code == 302
        assert get["Location"].startswith("/dang-nhap/")
        assert post.status_code == 302
    elif who == "with_role":
        assert get.status_code == 200
        assert post.status_code == 302
        dossier = Dossier.objects.get()
        assert post["Location"] == f"/lam-viec/ho-so/{dossier.code}/bien-nhan/"
        return
    else:
        assert get.status_code == 403
        assert post.status_code == 403
    assert Dossier.objects.count() == 0
    assert not AuditEntry.objects.filter(action="dossiers.dossier.receive").exists()


def test_counter_receives_with_files_and_sees_the_receipt(world: World, clock: Clock) -> None:
    client = _client(world.counter.account)
    scan = SimpleUploadedFile("don.pdf", PDF, content_type="application/pdf")
    drawing = SimpleUploadedFile("ban-ve.pdf", PDF, content_type="application/pdf")
    response = client.post(
        f"/lam-viec/ho-so/tiep-nhan/{PROCEDURE_CODE}/",
        _receive_post(file_TP1=scan, file_TP2=[drawing]),
    )
    assert response.status_code == 302
    dossier = Dossier.objects.get()
    assert dossier.channel == "counter"
    assert dossier.receiving_organization == world.centre
    assert dossier.form_data == FORM
    assert sorted(DossierFile.objects.values_list("document_code", "kind")) == [
        ("TP1", "original"),
        ("TP2", "original"),
    ]
    receipt = client.get(response["Location"])
    assert receipt.status_code == 200
    text = receipt.content.decode()
    assert dossier.code in text
    assert "data:image/svg+xml;base64," in text
    assert "data-print" in text


def test_counter_form_errors_name_the_field_and_write_nothing(world: World, clock: Clock) -> None:
    client = _client(world.counter.account)
    response = client.post(
        f"/lam-viec/ho-so/tiep-nhan/{PROCEDURE_CODE}/",
        _receive_post(f_so_dinh_danh="123", doc_TP2=""),
    )
    assert response.status_code == 422
    form = response.context["form"]
    assert "f_so_dinh_danh" in form.errors
    assert "doc_TP2" in form.errors
    assert Dossier.objects.count() == 0


def test_counter_unknown_applicant_is_refused_without_writing(world: World, clock: Clock) -> None:
    client = _client(world.counter.account)
    response = client.post(
        f"/lam-viec/ho-so/tiep-nhan/{PROCEDURE_CODE}/", _receive_post(applicant_id="051090009999")
    )
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["applicant_id"]
    assert Dossier.objects.count() == 0


def test_counter_looks_the_applicant_up_without_receiving(world: World, clock: Clock) -> None:
    client = _client(world.counter.account)
    response = client.post(
        f"/lam-viec/ho-so/tiep-nhan/{PROCEDURE_CODE}/", _receive_post(action="lookup")
    )
    assert response.status_code == 200
    assert response.context["applicant"] == world.applicant
    assert Dossier.objects.count() == 0


def test_procedure_choice_is_accent_insensitive(world: World, clock: Clock) -> None:
    client = _client(world.counter.account)
    response = client.get("/lam-viec/ho-so/tiep-nhan/", {"q": "giay phep xay dung"})
    assert response.status_code == 200
    assert [p.code for p in response.context["procedures"]] == [PROCEDURE_CODE]


# --- the dossier page ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", MATRIX)
def test_dossier_page_permission_matrix(world: World, clock: Clock, receive: Any, who: str) -> None:
    dossier = receive()
    client = _client(_who(who, world, world.counter))
    response = client.get(f"/lam-viec/ho-so/{dossier.code}/")
    expected = {"anonymous": 302, "with_role": 200}.get(who, 404)
    assert response.status_code == expected
    download = client.get(f"/lam-viec/ho-so/{dossier.code}/bien-nhan/")
    assert download.status_code == expected


@pytest.mark.parametrize("who", MATRIX)
def test_accept_action_permission_matrix(
    world: World, clock: Clock, receive: Any, who: str
) -> None:
    dossier = receive()
    client = _client(_who(who, world, world.counter))
    response = client.post(
        f"/lam-viec/ho-so/{dossier.code}/thao-tac/tiep-nhan-du/", {"tiep-nhan-du-version": "1"}
    )
    fresh = Dossier.objects.get(pk=dossier.pk)
    if who == "with_role":
        assert response.status_code == 302
        assert fresh.state == State.ACCEPTED
        return
    assert response.status_code == {"anonymous": 302}.get(who, 404)
    assert (fresh.state, fresh.version) == (State.SUBMITTED, 1)


def test_an_officer_who_sees_but_may_not_act_gets_403_and_nothing_changes(
    world: World, clock: Clock, receive: Any
) -> None:
    dossier = receive()
    client = _client(world.centre_officer.account)
    page = client.get(f"/lam-viec/ho-so/{dossier.code}/")
    assert page.status_code == 200
    assert page.context["actions"] == []
    response = client.post(
        f"/lam-viec/ho-so/{dossier.code}/thao-tac/tiep-nhan-du/", {"tiep-nhan-du-version": "1"}
    )
    assert response.status_code == 403
    assert Dossier.objects.get(pk=dossier.pk).state == State.SUBMITTED


def test_a_stale_version_shows_the_conflict_and_writes_nothing(
    world: World, clock: Clock, receive: Any
) -> None:
    dossier = receive()
    services.dossier_record_cash_payment(actor=world.counter.account, dossier=dossier)
    client = _client(world.counter.account)
    response = client.post(
        f"/lam-viec/ho-so/{dossier.code}/thao-tac/tiep-nhan-du/", {"tiep-nhan-du-version": "1"}
    )
    assert response.status_code == 409
    form = dict((a["action"].slug, a["form"]) for a in response.context["actions"])["tiep-nhan-du"]
    assert form.non_field_errors() == [  # the screens speak Vietnamese by default
        "Hồ sơ vừa được người khác thay đổi. Hãy tải lại hồ sơ và thực hiện lại."
    ]
    fresh = Dossier.objects.get(pk=dossier.pk)
    assert (fresh.state, fresh.version) == (State.SUBMITTED, 2)


def _post(client: Client, dossier: Dossier, slug: str, **data: Any) -> Any:
    fresh = Dossier.objects.get(pk=dossier.pk)
    payload = {f"{slug}-version": str(fresh.version)}
    payload.update({f"{slug}-{k}": v for k, v in data.items()})
    return client.post(f"/lam-viec/ho-so/{dossier.code}/thao-tac/{slug}/", payload)


def _actions(client: Client, dossier: Dossier) -> list[str]:
    response = client.get(f"/lam-viec/ho-so/{dossier.code}/")
    return [a["action"].slug for a in response.context["actions"]]


def test_full_lifecycle_through_the_screens(world: World, clock: Clock, receive: Any) -> None:
    dossier = receive()
    counter = _client(world.counter.account)
    reviewer = _client(world.reviewer.account)
    env = _client(world.env_officer.account)
    head = _client(world.head.account)

    assert _actions(counter, dossier)[:2] == ["tiep-nhan-du", "yeu-cau-bo-sung"]
    assert _post(counter, dossier, "tiep-nhan-du").status_code == 302

    assert _actions(reviewer, dossier) == ["bat-dau-buoc"]
    assert _post(reviewer, dossier, "bat-dau-buoc").status_code == 302
    assert _actions(reviewer, dossier)[0] == "hoan-thanh-buoc"
    assert _post(reviewer, dossier, "hoan-thanh-buoc", note="Đủ điều kiện").status_code == 302

    clock.set(vn(2026, 2, 13, 10))
    assert _post(env, dossier, "bat-dau-buoc").status_code == 302
    assert _post(env, dossier, "hoan-thanh-buoc").status_code == 302

    assert "phe-duyet" in _actions(head, dossier)
    assert _post(head, dossier, "phe-duyet", result_number="12/GPXD").status_code == 302
    assert Dossier.objects.get(pk=dossier.pk).state == State.APPROVED

    assert "tra-ket-qua" in _actions(counter, dossier)
    assert _post(counter, dossier, "tra-ket-qua", delivery="counter").status_code == 302
    final = Dossier.objects.get(pk=dossier.pk)
    assert (final.state, final.delivery, final.result_number) == (
        State.RETURNED,
        "counter",
        "12/GPXD",
    )
    page = counter.get(f"/lam-viec/ho-so/{dossier.code}/")
    assert [e["event"].action for e in page.context["events"]] == [
        "receive",
        "accept",
        "start_step",
        "complete_step",
        "start_step",
        "complete_step",
        "approve_result",
        "return_result",
    ]
    assert [s["step"].result for s in page.context["steps"]] == ["early"] * 5


def test_supplement_and_refusal_forms(world: World, clock: Clock, receive: Any) -> None:
    counter = _client(world.counter.account)
    first = receive()
    empty = _post(counter, first, "yeu-cau-bo-sung")
    assert empty.status_code == 422
    assert Dossier.objects.get(pk=first.pk).state == State.SUBMITTED
    asked = _post(counter, first, "yeu-cau-bo-sung", doc_TP2="on", reason_TP2="Thiếu bản vẽ")
    assert asked.status_code == 302
    stop = Dossier.objects.get(pk=first.pk).clock_stops.get()
    assert stop.items == [
        {"document_code": "TP2", "name": "Bản vẽ thiết kế", "reason": "Thiếu bản vẽ"}
    ]
    assert _actions(counter, first)[:1] == ["nhan-bo-sung"]

    second = receive()
    no_basis = _post(counter, second, "tu-choi", reasons="Không thuộc thẩm quyền", legal_basis="")
    assert no_basis.status_code == 422
    refused = _post(
        counter, second, "tu-choi", reasons="Lý do 1\nLý do 2", legal_basis="Điều 19 NĐ 118/2025"
    )
    assert refused.status_code == 302
    fresh = Dossier.objects.get(pk=second.pk)
    assert (fresh.state, fresh.reasons) == (State.REFUSED, ["Lý do 1", "Lý do 2"])


# --- queue, board, search, files -----------------------------------------------------------------


def test_queue_shows_only_current_steps_with_bounded_queries(
    world: World, clock: Clock, receive: Any, django_assert_max_num_queries: Any
) -> None:
    dossiers = [receive() for _ in range(6)]
    for dossier in dossiers[:4]:
        services.dossier_accept(actor=world.counter.account, dossier=dossier)
    clock.set(vn(2026, 3, 2, 9))  # past the review step's due day
    reviewer = _client(world.reviewer.account)
    with django_assert_max_num_queries(12):
        response = reviewer.get("/lam-viec/ho-so/")
    assert response.status_code == 200
    rows = response.context["rows"]
    assert sorted(r["dossier"].code for r in rows) == sorted(d.code for d in dossiers[:4])
    assert {r["timeliness"] for r in rows} == {"overdue"}
    counter = _client(world.counter.account)
    with django_assert_max_num_queries(12):
        waiting = counter.get("/lam-viec/ho-so/")
    assert sorted(r["dossier"].code for r in waiting.context["rows"]) == sorted(
        d.code for d in dossiers[4:]
    )
    env = _client(world.env_officer.account)
    assert env.get("/lam-viec/ho-so/").context["rows"] == []


def test_board_counts_by_state_and_lateness_in_one_query(
    world: World, clock: Clock, receive: Any
) -> None:

    first, second, _third = receive(), receive(), receive()
    services.dossier_accept(actor=world.counter.account, dossier=first)
    services.dossier_request_supplement(
        actor=world.counter.account, dossier=second, items=[{"name": "TP2", "reason": "thiếu"}]
    )
    clock.set(vn(2026, 3, 2, 9))
    head = world.head.account
    with CaptureQueriesContext(connection) as captured:
        rows = dossier_board(head)
    on_dossiers = [q["sql"] for q in captured.captured_queries if "dossiers_dossier" in q["sql"]]
    assert len(on_dossiers) == 1  # one aggregate; the rest is who the head is
    assert len(captured.captured_queries) <= 7
    by_unit = {r["unit_name"]: r for r in rows}
    assert set(by_unit) == {world.construction_unit.name_vi, world.centre.name_vi}
    held = by_unit[world.construction_unit.name_vi]
    assert (held["total"], held["accepted"], held["overdue"]) == (1, 1, 1)
    waiting = by_unit[world.centre.name_vi]
    assert (waiting["total"], waiting["submitted"], waiting["supplement_requested"]) == (2, 1, 1)
    assert waiting["overdue"] == 1  # the one still waiting for its check; the stopped one is not
    assert _client(head).get("/lam-viec/ho-so/bang-theo-doi/").status_code == 200
    assert _client(world.counter.account).get("/lam-viec/ho-so/bang-theo-doi/").status_code == 403


def test_search_by_name_without_diacritics_code_and_id(
    world: World, clock: Clock, receive: Any
) -> None:
    dossier = receive()
    client = _client(world.counter.account)
    for query in ["le thi dan", "LÊ THỊ", dossier.code, "051185000123"]:
        world.applicant.full_name = "Lê Thị Dân"
        response = client.get("/lam-viec/ho-so/tra-cuu/", {"q": query})
        assert [d.code for d in response.context["results"]] == [dossier.code], query
    outsider = _client(world.outsider_counter.account)
    assert outsider.get("/lam-viec/ho-so/tra-cuu/", {"q": dossier.code}).context["results"] == []


def test_accent_free_pattern_matches_vietnamese_letters() -> None:
    import re

    pattern = re.compile(accent_free_pattern("nguyen thi dan"), re.IGNORECASE)
    assert pattern.search("Nguyễn Thị Dần")
    assert pattern.search("NGUYỄN THỊ ĐAN") is not None
    assert pattern.search("Nguyen Van Dan") is None


def test_files_download_only_for_those_who_see_the_dossier(
    world: World, clock: Clock, receive: Any
) -> None:
    dossier = receive(
        files=[services.IncomingFile(upload=PDF, name="don.pdf", document_code="TP1")]
    )
    item = dossier.files.get()
    url = f"/lam-viec/ho-so/{dossier.code}/tep/{item.pk}/"
    response = _client(world.counter.account).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    assert _client(world.outsider_counter.account).get(url).status_code == 404
    assert _client(world.applicant.account).get(url).status_code == 404
    other = receive()
    wrong = f"/lam-viec/ho-so/{other.code}/tep/{item.pk}/"
    assert _client(world.counter.account).get(wrong).status_code == 404


# --- public status -------------------------------------------------------------------------------


def test_public_status_needs_the_second_factor(world: World, clock: Clock, receive: Any) -> None:
    dossier = receive()
    client = language_client("en")
    ask = client.get(f"/tra-cuu-ho-so/{dossier.code}/")
    assert ask.status_code == 200
    assert world.applicant.full_name not in ask.content.decode()
    assert "Cấp giấy phép" not in ask.content.decode()
    wrong = client.post(
        "/tra-cuu-ho-so/", {"code": dossier.code, "secret": "0900000002", **_guard()}
    )
    unknown = client.post(
        "/tra-cuu-ho-so/", {"code": "NO-SUCH", "secret": "0900000001", **_guard()}
    )
    assert wrong.status_code == unknown.status_code == 404
    assert "found" not in wrong.context
    assert dossier.procedure_version.name not in wrong.content.decode()
    for secret in ["0900000001", "+84 900 000 001", "051185000123"]:
        ok = client.post(
            f"/tra-cuu-ho-so/{dossier.code}/",
            {"code": dossier.code, "secret": secret, **_guard()},
        )
        assert ok.status_code == 200, secret
        assert ok.context["found"] is True
        assert [str(i["label"]) for i in ok.context["timeline"]] == ["Your dossier was received."]
        assert dossier.procedure_version.name in ok.content.decode()


def _guard() -> dict[str, str]:
    """The public form's bot-guard fields, as the rendered page carries them."""
    return {"form_started": form_token(), "website": ""}


def test_nav_shows_dossiers_to_officers_only(world: World, clock: Clock) -> None:
    officer_page = _client(world.reviewer.account).get("/lam-viec/")
    assert 'href="/lam-viec/ho-so/"' in officer_page.content.decode()
    staff = AccountFactory(is_staff=True, is_superuser=True)
    history = _client(staff).get("/lam-viec/lich-su/dossier/1/")
    assert history.status_code == 200
    assert 'href="/lam-viec/ho-so/"' not in history.content.decode()
