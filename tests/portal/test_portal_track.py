"""Track and receive (issue #5 §4–5): the public status page in plain words with the next
action, its rate limit, the applicant's own dossier pages, the e-result download and the
rating routes. Every route is tried with another citizen's dossier."""

from __future__ import annotations

import importlib.util
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from egov_testing import language_client

from egov.core.botguard import form_token
from egov.core.models import AuditEntry, RateCounter
from egov.directory.models import Account, Applicant, Officer, Organization, Role, Scope
from egov.dossiers import citizen_selectors, deadlines, services
from egov.dossiers.models import Dossier, DossierStep, Rating, State
from egov.procedures.models import Field
from egov.procedures.services import procedure_create

TESTS = Path(__file__).resolve().parents[1]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PHONE = "0900000001"
NATIONAL_ID = "051185000123"


def _load(name: str, path: Path) -> ModuleType:
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


factories = _load("directory_factories", TESTS / "directory/factories.py")
support = _load("dossiers_support", TESTS / "dossiers/support.py")
vn = support.vn


@dataclass
class Place:
    centre: Organization
    counter: Officer
    reviewer: Officer
    env_officer: Officer
    head: Officer
    applicant: Applicant
    other: Applicant


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    instance = support.Clock()
    monkeypatch.setattr(deadlines, "now", instance)
    return instance


@pytest.fixture
def place(db: None, clock: Any) -> Place:
    org = factories.OrganizationFactory
    root = org(code="H51", committee=True, name_vi="UBND tỉnh")
    centre = org(
        code="H51.20",
        qcvn_code="000.00.20.H51",
        parent=root,
        kind=Organization.Kind.AGENCY,
        name_vi="Trung tâm Phục vụ hành chính công",
    )
    construction = org(code="H51.04", parent=root, name_vi="Sở Xây dựng")
    unit = org(code="H51.04.02", parent=construction, unit=True, name_vi="Phòng Quản lý xây dựng")
    environment = org(code="H51.08", parent=root, name_vi="Sở Nông nghiệp và Môi trường")
    env_unit = org(code="H51.08.01", parent=environment, unit=True)
    Field.objects.create(code="XD", name="Hoạt động xây dựng")
    procedure_create(actor=None, data=support.PROCEDURE, as_system=True)
    officer = factories.OfficerFactory
    return Place(
        centre=centre,
        counter=officer(unit=centre, roles=[(Role.COUNTER, Scope.ORGANIZATION)]),
        reviewer=officer(unit=unit, roles=[(Role.OFFICER, Scope.UNIT)]),
        env_officer=officer(unit=env_unit, roles=[(Role.OFFICER, Scope.ORGANIZATION)]),
        head=officer(unit=construction, roles=[(Role.HEAD, Scope.ORGANIZATION)]),
        applicant=factories.ApplicantFactory(national_id=NATIONAL_ID, phone=PHONE),
        other=factories.ApplicantFactory(national_id="051185000999", phone="0900000009"),
    )


def _receive(place: Place, applicant: Applicant | None = None, **extra: Any) -> Dossier:
    return services.dossier_receive(
        actor=extra.pop("actor", place.counter.account),
        procedure_code=support.PROCEDURE_CODE,
        receiving_organization=place.centre,
        applicant=applicant or place.applicant,
        channel=extra.pop("channel", "counter"),
        form_data=dict(support.FORM),
        **extra,
    )


def _fresh(dossier: Dossier) -> Dossier:
    return Dossier.objects.get(pk=dossier.pk)


def _pay(place: Place, dossier: Dossier) -> Dossier:
    services.dossier_record_cash_payment(actor=place.counter.account, dossier=_fresh(dossier))
    return _fresh(dossier)


def _to_state(place: Place, dossier: Dossier, target: str, *, signed: bool = True) -> Dossier:
    """Walk the dossier through the services to `target`."""
    if target == State.SUBMITTED:
        return dossier
    if target == State.SUPPLEMENT_REQUESTED:
        services.dossier_request_supplement(
            actor=place.counter.account,
            dossier=dossier,
            items=[{"name": "Bản vẽ mặt bằng", "reason": "Thiếu chữ ký của chủ hộ"}],
            note="Nội bộ: gọi chị Lan kiểm tra lại",
        )
        return _fresh(dossier)
    if target == State.REFUSED:
        services.dossier_refuse(
            actor=place.counter.account,
            dossier=dossier,
            reasons=["Không thuộc thẩm quyền"],
            legal_basis="Luật Xây dựng 2014",
        )
        return _fresh(dossier)
    if target == State.CANCELLED:
        services.dossier_cancel(actor=place.head.account, dossier=dossier, reason="Nộp trùng")
        return _fresh(dossier)
    if target == State.WITHDRAWN:
        services.dossier_withdraw(actor=place.applicant.account, dossier=dossier)
        return _fresh(dossier)
    services.dossier_accept(actor=place.counter.account, dossier=dossier)
    dossier = _fresh(dossier)
    if target == State.ACCEPTED:
        return dossier
    steps = list(DossierStep.objects.filter(dossier=dossier).order_by("order"))
    services.dossier_start_step(actor=place.reviewer.account, dossier=dossier, step=steps[1])
    dossier = _fresh(dossier)
    if target == State.IN_PROCESS:
        return dossier
    services.dossier_complete_step(actor=place.reviewer.account, dossier=dossier, step=steps[1])
    dossier = _fresh(dossier)
    services.dossier_start_step(actor=place.env_officer.account, dossier=dossier, step=steps[2])
    dossier = _fresh(dossier)
    services.dossier_complete_step(
        actor=place.env_officer.account, dossier=dossier, step=steps[2], note="Ý kiến nội bộ"
    )
    dossier = _fresh(dossier)
    upload = services.IncomingFile(upload=PDF, name="giay-phep.pdf")
    if target == State.DENIED:
        services.dossier_deny_result(
            actor=place.head.account, dossier=dossier, reasons=["Sai quy hoạch"]
        )
        return _fresh(dossier)
    services.dossier_approve_result(
        actor=place.head.account, dossier=dossier, result_number="12/GPXD", result_file=upload
    )
    if signed:  # what egov.dossiers.result_services records once the head signed the PDF
        Dossier.objects.filter(pk=dossier.pk).update(result_signed_at=deadlines.now())
    dossier = _fresh(dossier)
    if target == State.APPROVED:
        return dossier
    services.dossier_return_result(actor=place.counter.account, dossier=dossier, delivery="online")
    return _fresh(dossier)


def _look_up(client: Client, code: str, secret: str, url: str = "/tra-cuu-ho-so/") -> Any:
    return client.post(url, {"code": code, "secret": secret, "form_started": form_token()})


def _citizen(response: Any) -> citizen_selectors.CitizenDossier:
    return response.context["citizen"]


# --- the public status page ----------------------------------------------------------------------


def test_the_receipt_qr_link_asks_for_the_second_factor_with_the_code_filled_in(
    place: Place, client: Client
) -> None:
    dossier = _receive(place)
    page = client.get(f"/tra-cuu-ho-so/{dossier.code}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'value="{dossier.code}"' in html
    assert support.PROCEDURE["name"] not in html
    assert 'name="form_started"' in html


@pytest.mark.parametrize("secret", [PHONE, "+84 900 000 001", "0900.000.001", NATIONAL_ID])
def test_code_and_phone_or_id_number_show_the_dossier(
    place: Place, client: Client, secret: str
) -> None:
    dossier = _receive(place)
    answer = _look_up(client, dossier.code, secret, f"/tra-cuu-ho-so/{dossier.code}/")
    assert answer.status_code == 200
    assert answer.context["found"] is True
    assert _citizen(answer).state_words == "Received, being checked for completeness"
    assert [str(e["label"]) for e in answer.context["timeline"]] == ["Your dossier was received."]
    assert support.PROCEDURE["name"] in answer.content.decode()


def _strip_tokens(html: str, code: str) -> str:
    html = re.sub(r'name="(csrfmiddlewaretoken|form_started)" value="[^"]*"', "TOKEN", html)
    return html.replace(code, "CODE")


def test_wrong_second_factor_and_unknown_code_get_the_same_answer_and_work(
    place: Place, client: Client
) -> None:
    dossier = _receive(place)
    _look_up(client, "warm-up", "0900000002")  # first-request work (connection, caches)
    with CaptureQueriesContext(connection) as wrong_queries:
        wrong = _look_up(client, dossier.code, "0900000002")
    with CaptureQueriesContext(connection) as unknown_queries:
        unknown = _look_up(client, "000.00.20.H51-260212-9999", "0900000002")
    assert wrong.status_code == unknown.status_code == 404
    assert "found" not in wrong.context
    assert "citizen" not in wrong.context
    assert _strip_tokens(wrong.content.decode(), dossier.code) == _strip_tokens(
        unknown.content.decode(), "000.00.20.H51-260212-9999"
    )
    # The same work on both paths (the timing proxy): one look-up, one counted miss.
    assert len(wrong_queries) == len(unknown_queries)
    assert support.PROCEDURE["name"] not in wrong.content.decode()


def test_misses_are_rate_limited_and_then_hits_are_refused_too(
    place: Place, client: Client, settings: Any
) -> None:
    settings.EGOV_RATE_LIMITS = {"status_miss": (3, 600)}
    dossier = _receive(place)
    for _ in range(10):  # successful look-ups are never counted
        assert _look_up(client, dossier.code, PHONE).status_code == 200
    assert RateCounter.objects.count() == 0
    for _ in range(3):
        assert _look_up(client, dossier.code, "0911111111").status_code == 404
    limited = _look_up(client, dossier.code, "0911111111")
    assert limited.status_code == 429
    assert "too many times" in limited.context["limited"]
    hit = _look_up(client, dossier.code, PHONE)
    assert hit.status_code == 429
    assert "citizen" not in hit.context
    assert support.PROCEDURE["name"] not in hit.content.decode()
    other_client = language_client("en", REMOTE_ADDR="10.9.9.9")
    assert _look_up(other_client, dossier.code, PHONE).status_code == 200


def test_a_form_posted_by_a_bot_is_refused_without_looking(
    place: Place, client: Client, settings: Any
) -> None:
    dossier = _receive(place)
    filled = client.post(
        "/tra-cuu-ho-so/",
        {"code": dossier.code, "secret": PHONE, "form_started": form_token(), "website": "x"},
    )
    no_token = client.post("/tra-cuu-ho-so/", {"code": dossier.code, "secret": PHONE})
    assert filled.status_code == no_token.status_code == 422
    assert "citizen" not in filled.context
    assert filled.context["refused"]


def test_the_found_status_page_costs_few_queries(
    place: Place, client: Client, django_assert_max_num_queries: Any
) -> None:
    dossier = _receive(place)
    _look_up(client, dossier.code, PHONE)  # warm the caches (calendar, templates)
    # the look-up, the rate-limit read, the timeline, the unpaid fee lines
    with django_assert_max_num_queries(4):
        answer = _look_up(client, dossier.code, PHONE)
    assert answer.status_code == 200


EXPECTED_WORDS = {
    State.SUBMITTED: ("Received, being checked for completeness", ["pay", "wait"]),
    State.SUPPLEMENT_REQUESTED: ("More papers are needed", ["supplement"]),
    State.REFUSED: ("Not accepted", ["read_reasons"]),
    State.ACCEPTED: ("Accepted, being handled", ["pay", "wait"]),
    State.IN_PROCESS: ("Being handled", ["pay", "wait"]),
    State.APPROVED: ("Result ready", ["pay", "rate"]),
    State.DENIED: ("Decided: the request was not granted", ["pay", "rate"]),
    State.RETURNED: ("Result handed over", ["rate"]),
    State.WITHDRAWN: ("Withdrawn at your request", ["none"]),
    State.CANCELLED: ("Handling stopped", ["none"]),
}


@pytest.mark.parametrize("state", list(EXPECTED_WORDS))
def test_each_state_is_told_in_plain_words_with_the_next_action(
    place: Place, client: Client, state: str
) -> None:
    dossier = _to_state(place, _receive(place), state)
    answer = _look_up(client, dossier.code, PHONE)
    assert answer.status_code == 200
    view = _citizen(answer)
    words, kinds = EXPECTED_WORDS[state]
    assert view.state_words == words
    assert view.action_kinds == kinds
    html = answer.content.decode()
    for kind in kinds:
        assert f'data-action="{kind}"' in html
    # Never an officer's note or name.
    for secret_text in ("Nội bộ", "Ý kiến nội bộ", place.counter.full_name, place.head.full_name):
        assert secret_text not in html


def test_the_timeline_of_a_returned_dossier_in_plain_words(place: Place, client: Client) -> None:
    dossier = _pay(place, _receive(place))
    dossier = _to_state(place, dossier, State.RETURNED)
    view = _citizen(_look_up(client, dossier.code, PHONE))
    assert [e.label for e in view.timeline] == [
        "Your dossier was received.",
        "Your fee payment was recorded.",
        "Your dossier is complete and is being handled.",
        "Being handled at Phòng Quản lý xây dựng.",
        "One step was finished; handed over to Sở Nông nghiệp và Môi trường.",
        "Being handled at Sở Nông nghiệp và Môi trường.",
        "One step was finished; handed over to Sở Xây dựng.",
        "The result is ready.",
        "The result was handed to you.",
    ]
    assert view.action_kinds == ["download", "rate"]
    assert view.timeliness == "early"
    assert view.timeliness_words == "Settled ahead of time"


def test_a_supplement_request_lists_the_papers_and_links_the_upload_page(
    place: Place, client: Client, settings: Any
) -> None:
    settings.EGOV_PUBLIC_URL = "http://testserver"
    dossier = _to_state(place, _receive(place), State.SUPPLEMENT_REQUESTED)
    answer = _look_up(client, dossier.code, PHONE)
    view = _citizen(answer)
    assert view.supplement_items == [
        {"document_code": "", "name": "Bản vẽ mặt bằng", "reason": "Thiếu chữ ký của chủ hộ"}
    ]
    link = view.actions[0].url
    assert link.startswith(f"http://testserver/nop-ho-so/bo-sung/{dossier.code}/lien-ket/")
    # The signed link of the apply pages opens the upload page in this browser, no account.
    opened = client.get(link.removeprefix("http://testserver"))
    assert opened.status_code == 302
    assert opened["Location"] == f"/nop-ho-so/bo-sung/{dossier.code}/"
    assert view.timeliness == "paused"
    assert "Thiếu chữ ký của chủ hộ" in answer.content.decode()


def test_unpaid_fees_link_the_payment_page(place: Place, client: Client) -> None:
    dossier = _receive(place)
    view = _citizen(_look_up(client, dossier.code, PHONE))
    assert view.actions[0].kind == "pay"
    link = view.actions[0].url
    assert link.startswith(f"/thanh-toan/{dossier.code}/?proof=")
    assert PHONE not in link
    # The payment page takes the status page's proof: no second question.
    anonymous = language_client("en")
    order = anonymous.get(link)
    assert order.status_code == 200
    assert "secret" not in order.content.decode()
    assert [(f.name, f.amount) for f in view.unpaid_fees] == [
        ("Lệ phí cấp giấy phép", 75000),
        ("Phí thẩm định", 1_000_000),
    ]
    paid = _pay(place, dossier)
    assert _citizen(_look_up(client, paid.code, PHONE)).action_kinds == ["wait"]


def test_an_apology_shows_the_new_appointment_and_the_first_one(
    place: Place, client: Client, clock: Any
) -> None:
    dossier = _to_state(place, _receive(place), State.IN_PROCESS)
    first = dossier.appointment_at
    services.dossier_apologize(
        actor=place.head.account,
        dossier=dossier,
        reason="Chờ ý kiến của Sở Nông nghiệp và Môi trường",
        new_appointment_at=vn(2026, 3, 5, 17, 0),
    )
    clock.set(vn(2026, 2, 27, 9, 0))  # after the legal due day, before the new appointment
    view = _citizen(_look_up(client, dossier.code, PHONE))
    assert view.appointment_at == vn(2026, 3, 5, 17, 0)
    assert view.first_appointment_at == first
    assert view.apology_reason == "Chờ ý kiến của Sở Nông nghiệp và Môi trường"
    assert view.timeliness == "open_late_apologised"
    assert view.timeliness_words == "Late: the office apologised and gave a new appointment"


def test_the_approved_result_is_downloaded_with_a_short_lived_link_and_audited(
    place: Place, client: Client
) -> None:
    dossier = _to_state(place, _pay(place, _receive(place)), State.APPROVED)
    answer = _look_up(client, dossier.code, PHONE)
    view = _citizen(answer)
    assert view.action_kinds == ["download", "rate"]
    link = view.actions[0].url
    assert link.startswith("/tra-cuu-ho-so/ket-qua/")
    assert PHONE not in link
    assert NATIONAL_ID not in link
    html = answer.content.decode()
    assert 'href="/xac-thuc-van-ban/"' in html
    assert "Adobe Acrobat Reader" in html
    anonymous = language_client("en")  # the link alone is the proof, for a short time
    download = anonymous.get(link)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]
    entry = AuditEntry.objects.get(action="dossiers.result.download")
    assert entry.object_id == str(dossier.pk)
    assert entry.summary["after"]["via"] == "status_link"


def test_an_expired_or_tampered_result_link_downloads_nothing(
    place: Place, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    dossier = _to_state(place, _pay(place, _receive(place)), State.APPROVED)
    link = _citizen(_look_up(client, dossier.code, PHONE)).actions[0].url
    tampered = link[:-3] + ("AAA/" if not link.endswith("AAA/") else "BBB/")
    assert client.get(tampered).status_code == 410
    later = time.time() + citizen_selectors.RESULT_LINK_MAX_AGE + 5
    monkeypatch.setattr(signing.time, "time", lambda: later)
    assert client.get(link).status_code == 410
    assert AuditEntry.objects.filter(action="dossiers.result.download").count() == 0


def test_an_unsigned_result_is_not_offered_for_download(place: Place, client: Client) -> None:
    dossier = _to_state(place, _pay(place, _receive(place)), State.APPROVED, signed=False)
    view = _citizen(_look_up(client, dossier.code, PHONE))
    assert view.action_kinds == ["collect", "rate"]
    assert view.result_available is False


def test_unpaid_fees_withhold_the_result(place: Place, client: Client) -> None:
    dossier = _to_state(place, _receive(place), State.APPROVED)
    view = _citizen(_look_up(client, dossier.code, PHONE))
    assert view.action_kinds == ["pay", "rate"]
    assert view.result_available is False


# --- rating through the status page --------------------------------------------------------------

ANSWERS = {
    "overall": "satisfied",
    "time": "very_satisfied",
    "attitude": "satisfied",
    "guidance": "neutral",
    "visits": "none",
}


def test_rating_after_the_status_look_up(place: Place, client: Client) -> None:
    dossier = _to_state(place, _pay(place, _receive(place)), State.RETURNED)
    rate_url = _citizen(_look_up(client, dossier.code, PHONE)).actions[-1].url
    assert rate_url.startswith("/tra-cuu-ho-so/danh-gia/")
    form = client.get(rate_url)
    assert form.status_code == 200
    assert 'name="overall"' in form.content.decode()
    done = client.post(rate_url, {**ANSWERS, "comment": "Nhanh, chu đáo"})
    assert done.status_code == 200
    rating = Rating.objects.get(dossier=dossier)
    assert (rating.score, rating.satisfied, rating.comment) == (4, True, "Nhanh, chu đáo")
    assert rating.account is None
    again = client.post(rate_url, ANSWERS)
    assert again.status_code == 409
    assert Rating.objects.count() == 1
    after = _citizen(_look_up(client, dossier.code, PHONE))
    assert after.action_kinds == ["download"]
    assert after.rating == rating


def test_a_missing_answer_is_shown_next_to_the_question(place: Place, client: Client) -> None:
    dossier = _to_state(place, _pay(place, _receive(place)), State.RETURNED)
    rate_url = _citizen(_look_up(client, dossier.code, PHONE)).actions[-1].url
    answer = client.post(rate_url, {k: v for k, v in ANSWERS.items() if k != "time"})
    assert answer.status_code == 422
    assert list(answer.context["form"].errors) == ["time"]
    assert Rating.objects.count() == 0


def test_a_rating_link_of_one_dossier_cannot_rate_another(place: Place, client: Client) -> None:
    mine = _to_state(place, _pay(place, _receive(place)), State.RETURNED)
    token = citizen_selectors.proof_issue(mine)
    forged = signing.dumps({"d": mine.pk + 1000}, salt="another-salt")
    assert client.post(f"/tra-cuu-ho-so/danh-gia/{forged}/", ANSWERS).status_code == 410
    assert client.get(f"/tra-cuu-ho-so/danh-gia/{token}x/").status_code == 410
    assert Rating.objects.count() == 0


# --- the signed-in applicant ---------------------------------------------------------------------


def _signed_in(account: Account) -> Client:
    client = language_client("en")
    client.force_login(account)
    return client


def test_the_list_of_my_dossiers_holds_only_my_own(place: Place) -> None:
    mine = _receive(place)
    _receive(place, applicant=place.other)
    online = _receive(place, applicant=place.other)
    Dossier.objects.filter(pk=online.pk).update(
        submitted_by=place.applicant.account, channel="online"
    )
    listed = citizen_selectors.dossiers_of_account(place.applicant.account)
    assert sorted(d.pk for d in listed) == sorted([mine.pk, online.pk])
    # The counter officer who received a walk-in dossier is not its owner.
    assert list(citizen_selectors.dossiers_of_account(place.counter.account)) == []


def test_my_dossier_page_needs_no_second_factor(place: Place) -> None:
    dossier = _to_state(place, _pay(place, _receive(place)), State.RETURNED)
    client = _signed_in(place.applicant.account)
    page = client.get(f"/cong-dan/ho-so/{dossier.code}/")
    assert page.status_code == 200
    view = page.context["citizen"]
    assert view.action_kinds == ["download", "rate"]
    assert view.actions[0].url == f"/cong-dan/ho-so/{dossier.code}/ket-qua/"
    assert view.actions[1].url == f"/cong-dan/ho-so/{dossier.code}/danh-gia/"
    download = client.get(view.actions[0].url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]
    entry = AuditEntry.objects.get(action="dossiers.result.download")
    assert entry.actor_id == place.applicant.account.pk
    assert entry.summary["after"]["via"] == "account"
    assert client.post(view.actions[1].url, ANSWERS).status_code == 200
    assert Rating.objects.get(dossier=dossier).account == place.applicant.account


ROUTES: list[tuple[str, str]] = [
    ("get", "/cong-dan/ho-so/{code}/"),
    ("get", "/cong-dan/ho-so/{code}/ket-qua/"),
    ("get", "/cong-dan/ho-so/{code}/danh-gia/"),
    ("post", "/cong-dan/ho-so/{code}/danh-gia/"),
]


@pytest.mark.parametrize("who", ["anonymous", "other_citizen", "officer", "superuser"])
@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_another_citizens_dossier_is_absent_through_every_route(
    place: Place, who: str, method: str, route: str
) -> None:
    dossier = _to_state(place, _pay(place, _receive(place)), State.RETURNED)
    clients: dict[str, Callable[[], Client]] = {
        "anonymous": lambda: language_client("en"),
        "other_citizen": lambda: _signed_in(place.other.account),
        "officer": lambda: _signed_in(place.counter.account),
        "superuser": lambda: _signed_in(
            Account.objects.create_superuser("qt", "qt@example.vn", "Mat-khau-2025!")
        ),
    }
    client = clients[who]()
    url = route.format(code=dossier.code)
    answer = client.post(url, ANSWERS) if method == "post" else client.get(url)
    if who == "anonymous":
        assert answer.status_code == 302
        assert answer["Location"].startswith("/cong-dan/dang-nhap/")
    else:
        assert answer.status_code == 404
    assert Rating.objects.count() == 0
    assert AuditEntry.objects.filter(action="dossiers.result.download").count() == 0


def test_a_dossier_submitted_by_my_account_for_someone_else_is_mine(place: Place) -> None:
    dossier = _receive(place, applicant=place.other)
    Dossier.objects.filter(pk=dossier.pk).update(
        submitted_by=place.applicant.account, channel="online"
    )
    client = _signed_in(place.applicant.account)
    assert client.get(f"/cong-dan/ho-so/{dossier.code}/").status_code == 200


def test_the_intake_e_mail_links_the_receipt_pdf(place: Place) -> None:
    from egov.core.models import OutboundMessage

    dossier = _receive(place)
    mail = OutboundMessage.objects.filter(template="dossier_received").exclude(channel="sms")
    assert mail.count() == 1
    found = re.search(r"/tra-cuu-ho-so/bien-nhan/([^/\s]+)/", mail.get().body)
    assert found is not None
    assert found.group(0) in mail.get().body
    answer = Client().get(f"/tra-cuu-ho-so/bien-nhan/{found.group(1)}/")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert b"".join(answer.streaming_content).startswith(b"%PDF")
    forged = citizen_selectors.receipt_link_issue(dossier) + "x"
    assert Client().get(f"/tra-cuu-ho-so/bien-nhan/{forged}/").status_code == 410
