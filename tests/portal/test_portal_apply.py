"""The citizen's online application pages: start, e-form, uploads, review, submit, supplement."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from egov.core.models import RateCounter
from egov.directory.models import Applicant, Organization, Role, Scope
from egov.dossiers import services
from egov.dossiers.models import Dossier, DossierFile, State
from egov.dossiers.models_online import DraftFile, OnlineDraft, UploadSession
from egov.portal import eform
from egov.procedures.eforms import eform_validate
from egov.procedures.models import Field
from egov.procedures.services import procedure_create

_NAME = "directory_factories"
if _NAME not in sys.modules:
    _path = Path(__file__).parent.parent / "directory" / "factories.py"
    _spec = importlib.util.spec_from_file_location(_NAME, _path)
    assert _spec is not None
    assert _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _module
    _spec.loader.exec_module(_module)

from directory_factories import (  # noqa: E402
    ApplicantFactory,
    OfficerFactory,
    OrganizationFactory,
)

CODE = "DEMO-XD-20"
PDF = b"%PDF-1.4\n" + b"1 0 obj<<>>endobj\n" * 50 + b"trailer<<>>\n%%EOF\n"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Tờ khai",
    "properties": {
        "ho_ten": {
            "type": "string",
            "title": "Họ, chữ đệm và tên",
            "minLength": 2,
            "maxLength": 150,
        },
        "ngay_sinh": {"type": "string", "format": "date", "title": "Ngày sinh"},
        "so_dinh_danh": {
            "type": "string",
            "format": "national-id",
            "title": "Số định danh cá nhân",
        },
        "ma_so_thue": {"type": "string", "format": "tax-code", "title": "Mã số thuế"},
        "dien_thoai": {"type": "string", "format": "phone", "title": "Số điện thoại"},
        "tinh": {"type": "string", "format": "province-code", "title": "Tỉnh, thành phố"},
        "xa": {"type": "string", "format": "commune-code", "title": "Xã, phường"},
        "dien_tich": {"type": "number", "title": "Diện tích (m²)", "minimum": 1},
    },
    "required": ["ho_ten", "so_dinh_danh", "dien_thoai"],
    "additionalProperties": False,
}
GOOD = {
    "f_ho_ten": "Lê Thị Dân",
    "f_so_dinh_danh": "051185000123",
    "f_dien_thoai": "0912345678",
    "f_tinh": "51",
    "f_xa": "",
    "f_dien_tich": "120",
}


def _procedure(code: str = CODE, **extra: Any) -> dict[str, Any]:
    return {
        "code": code,
        "code_status": "unverified",
        "name": "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        "field": "XD",
        "level": "province",
        "effective_from": "2025-07-01",
        "competent_organization": {"code": "H51.04", "name": "Sở Xây dựng"},
        "executing_organization": {"code": "H51.04", "name": "Sở Xây dựng"},
        "channels": [
            {"channel": "counter", "time": 5, "unit": "working_days"},
            {"channel": "online", "time": 5, "unit": "working_days"},
        ],
        "documents": [
            {"code": "TP1", "name": "Đơn đề nghị", "originals": 1, "copies": 0},
            {"code": "TP2", "name": "Bản vẽ", "originals": 1, "copies": 0, "mandatory": False},
        ],
        "result": "Giấy phép xây dựng",
        "service_level": "full_online",
        "eform_schema": SCHEMA,
        "steps": [{"name": "Tiếp nhận", "role": "counter", "days": 1}],
        "publish": True,
        **extra,
    }


@pytest.fixture
def site(db: None) -> dict[str, Any]:
    root = OrganizationFactory(code="H51", committee=True, name_vi="UBND tỉnh")
    construction = OrganizationFactory(code="H51.04", parent=root, name_vi="Sở Xây dựng")
    Field.objects.create(code="XD", name="Hoạt động xây dựng")
    procedure_create(actor=None, data=_procedure(), as_system=True)
    procedure_create(
        actor=None, data=_procedure("DEMO-XD-21", anonymous_allowed=True), as_system=True
    )
    citizen = ApplicantFactory(national_id="051185000123", phone="0900000001")
    return {"root": root, "construction": construction, "citizen": citizen}


def _client(applicant: Applicant | None = None) -> Client:
    client = Client()
    if applicant is not None:
        client.force_login(applicant.account)
    return client


def _start(client: Client, code: str = CODE) -> OnlineDraft:
    response = client.post(reverse("portal:apply_start", kwargs={"procedure_code": code}))
    assert response.status_code == 302, response.content[:500]
    return OnlineDraft.objects.latest("pk")


def _draft_url(name: str, draft: OnlineDraft, **kw: Any) -> str:
    return reverse(f"portal:{name}", kwargs={"draft_id": draft.public_id, **kw})


# --- the same rules in the browser and on the server ---------------------------------------------


@pytest.mark.parametrize(
    ("name", "bad", "code"),
    [
        ("so_dinh_danh", "051185000", "eform.national_id"),
        ("so_dinh_danh", "999185000123", "eform.national_id"),
        ("ma_so_thue", "0100233487", "eform.tax_code"),
        ("dien_thoai", "0123", "eform.phone"),
        ("ngay_sinh", "2025-02-30", "eform.date"),
    ],
)
def test_the_page_carries_the_servers_rule_and_message_for_each_field(
    name: str, bad: str, code: str, settings: Any
) -> None:
    fields = {f.name: f for f in eform.eform_fields(SCHEMA, {}, {})}
    rules = fields[name].rules
    server = {e.code: e.message for e in eform_validate(SCHEMA, {name: bad})}
    assert rules["format"] == SCHEMA["properties"][name]["format"]
    assert rules["messages"][code] == server[code]
    assert SCHEMA["properties"][name]["title"] in server[code]


def test_html_attributes_come_from_the_schema() -> None:
    fields = {f.name: f for f in eform.eform_fields(SCHEMA, {}, {})}
    assert fields["so_dinh_danh"].attrs["pattern"] == "[0-9]{12}"
    assert fields["so_dinh_danh"].attrs["inputmode"] == "numeric"
    assert fields["so_dinh_danh"].attrs["required"] == "required"
    assert fields["ho_ten"].attrs["maxlength"] == "150"
    assert fields["ho_ten"].attrs["minlength"] == "2"
    assert fields["dien_thoai"].attrs["type"] == "tel"
    assert fields["ngay_sinh"].attrs["type"] == "date"
    assert fields["dien_tich"].attrs["min"] == "1"
    assert fields["tinh"].widget == "select"
    assert ("51", "Quảng Ngãi") in fields["tinh"].choices
    assert "required" not in fields["ma_so_thue"].attrs


def test_posted_values_are_typed_as_the_schema_wants() -> None:
    data = eform.eform_data_from_post(
        SCHEMA, {"f_ho_ten": "  Lê Dân ", "f_dien_tich": "12,5", "f_tinh": "", "f_x": "1"}
    )
    assert data == {"ho_ten": "Lê Dân", "dien_tich": 12.5}
    assert eform.eform_data_from_post(SCHEMA, {"f_dien_tich": "abc"}) == {"dien_tich": "abc"}


# --- start ---------------------------------------------------------------------------------------


def test_without_an_account_the_page_asks_to_sign_in_with_next(site: dict[str, Any]) -> None:
    url = reverse("portal:apply_start", kwargs={"procedure_code": CODE})
    response = Client().get(url)
    assert response.status_code == 200
    assert b'data-testid="sign-in-required"' in response.content
    assert f"/cong-dan/dang-nhap/?next=%2Fnop-ho-so%2F{CODE}%2F".encode() in response.content
    response = Client().post(url)
    assert response.status_code == 200
    assert OnlineDraft.objects.count() == 0


def test_an_unknown_or_offline_procedure_is_not_found(site: dict[str, Any]) -> None:
    response = _client(site["citizen"]).get(
        reverse("portal:apply_start", kwargs={"procedure_code": "KHONG-CO-1"})
    )
    assert response.status_code == 404


def test_a_signed_in_citizen_gets_a_prefilled_form(site: dict[str, Any]) -> None:
    client = _client(site["citizen"])
    draft = _start(client)
    assert draft.form_data["so_dinh_danh"] == "051185000123"
    assert draft.form_data["ho_ten"] == "Lê Thị Dân"
    response = client.get(_draft_url("apply_draft", draft))
    assert response.status_code == 200
    assert b'value="051185000123"' in response.content
    assert b'src="/static/egov/apply.js"' in response.content
    assert b"<script>" not in response.content


def test_anonymous_applicant_gets_a_resume_link_when_allowed(site: dict[str, Any]) -> None:
    client = Client()
    draft = _start(client, "DEMO-XD-21")
    response = client.get(_draft_url("apply_draft", draft))
    assert b'data-testid="resume-link"' in response.content
    link = response.content.split(b"/nop-ho-so/tiep-tuc/")[1].split(b"/")[0].decode()
    # Another browser without the link gets 404; with the link it continues.
    stranger = Client()
    assert stranger.get(_draft_url("apply_draft", draft)).status_code == 404
    assert stranger.get(f"/nop-ho-so/tiep-tuc/{link}/").status_code == 302
    assert stranger.get(_draft_url("apply_draft", draft)).status_code == 200
    assert Client().get("/nop-ho-so/tiep-tuc/khong-dung/").status_code == 404


# --- the form ------------------------------------------------------------------------------------


def test_a_wrong_id_is_refused_next_to_the_field_and_the_draft_keeps_it(
    site: dict[str, Any],
) -> None:
    client = _client(site["citizen"])
    draft = _start(client)
    data = {**GOOD, "f_so_dinh_danh": "05118500012", "form_present": "1", "action": "review"}
    response = client.post(_draft_url("apply_draft", draft), data)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_f_so_dinh_danh_error"' in html
    assert "Số định danh cá nhân: " in html
    assert 'aria-describedby="id_f_so_dinh_danh_error"' in html
    assert 'data-testid="error-summary"' in html
    assert 'href="#id_f_so_dinh_danh"' in html
    draft.refresh_from_db()
    assert draft.form_data["so_dinh_danh"] == "05118500012"
    # Saving as a draft keeps invalid values without complaint.
    response = client.post(_draft_url("apply_draft", draft), {**data, "action": "save"})
    assert response.status_code == 302


def test_save_then_resume_later_from_the_account(site: dict[str, Any]) -> None:
    client = _client(site["citizen"])
    draft = _start(client)
    client.post(_draft_url("apply_draft", draft), {**GOOD, "form_present": "1", "action": "save"})
    later = _client(site["citizen"])
    page = later.get(reverse("portal:apply_my_drafts"))
    assert _draft_url("apply_draft", draft).encode() in page.content
    response = later.get(_draft_url("apply_draft", draft))
    assert b'value="0912345678"' in response.content


def test_another_citizen_gets_404_on_every_draft_route(site: dict[str, Any]) -> None:
    draft = _start(_client(site["citizen"]))
    session = UploadSession.objects.create(
        draft=draft, document_code="TP1", file_name="a.pdf", size=10
    )
    other = _client(ApplicantFactory(national_id="079190000456"))
    for name in ("apply_draft", "apply_review", "apply_done"):
        assert other.get(_draft_url(name, draft)).status_code == 404, name
    assert other.post(_draft_url("apply_submit", draft)).status_code == 404
    assert other.post(_draft_url("apply_file_add", draft)).status_code == 404
    assert (
        other.post(_draft_url("apply_upload_begin", draft), "{}", "application/json").status_code
        == 404
    )
    chunk = _draft_url("apply_upload_chunk", draft, upload_id=session.public_id)
    assert other.get(chunk).status_code == 404
    assert other.post(chunk + "?offset=0", b"x", "application/octet-stream").status_code == 404
    assert Client().get(_draft_url("apply_draft", draft)).status_code == 404
    session.refresh_from_db()
    assert session.received == 0


# --- uploads -------------------------------------------------------------------------------------


def test_plain_multipart_upload_and_a_refused_type(site: dict[str, Any]) -> None:
    client = _client(site["citizen"])
    draft = _start(client)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        _draft_url("apply_file_add", draft),
        {**GOOD, "form_present": "1", "document_code": "TP1",
         "file_TP1": SimpleUploadedFile("don.pdf", PDF, "application/pdf")},
    )  # fmt: skip
    assert response.status_code == 302
    assert DraftFile.objects.filter(draft=draft, document_code="TP1").count() == 1
    response = client.post(
        _draft_url("apply_file_add", draft),
        {"document_code": "TP2",
         "file_TP2": SimpleUploadedFile("ban-ve.pdf", b"GIF89a not a pdf", "application/pdf")},
    )  # fmt: skip
    assert response.status_code == 422
    assert b'id="file-TP2_error"' in response.content
    assert DraftFile.objects.filter(draft=draft, document_code="TP2").count() == 0


def test_chunked_upload_over_http_resumes_from_the_servers_offset(site: dict[str, Any]) -> None:
    client = _client(site["citizen"])
    draft = _start(client)
    content = PDF * 2
    begin = client.post(
        _draft_url("apply_upload_begin", draft),
        json.dumps({"document_code": "TP1", "name": "don.pdf", "size": len(content)}),
        "application/json",
    )
    assert begin.status_code == 200
    upload = begin.json()
    url = _draft_url("apply_upload_chunk", draft, upload_id=upload["id"])
    first = client.post(url + "?offset=0", content[:500], "application/octet-stream")
    assert first.json()["received"] == 500
    skipped = client.post(url + "?offset=900", content[900:], "application/octet-stream")
    assert skipped.status_code == 409
    assert skipped.json()["received"] == 500
    assert client.get(url).json()["received"] == 500
    rest = client.post(url + "?offset=500", content[500:], "application/octet-stream")
    assert rest.json()["received"] == len(content)
    done = client.post(_draft_url("apply_upload_finish", draft, upload_id=upload["id"]))
    assert done.status_code == 200
    assert done.json()["size"] == len(content)
    assert DraftFile.objects.filter(draft=draft).count() == 1


def test_uploads_are_rate_limited(site: dict[str, Any], settings: Any) -> None:
    settings.EGOV_RATE_LIMITS = {"upload": (2, 3600)}
    client = _client(site["citizen"])
    draft = _start(client)
    body = json.dumps({"document_code": "TP1", "name": "a.pdf", "size": 10})
    url = _draft_url("apply_upload_begin", draft)
    assert client.post(url, body, "application/json").status_code == 200
    assert client.post(url, body, "application/json").status_code == 200
    limited = client.post(url, body, "application/json")
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert int(limited["Retry-After"]) > 0
    assert UploadSession.objects.count() == 2
    assert RateCounter.objects.count() == 1


# --- review and submit ---------------------------------------------------------------------------


def _ready(client: Client, draft: OnlineDraft) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(
        _draft_url("apply_file_add", draft),
        {**GOOD, "form_present": "1", "document_code": "TP1",
         "file_TP1": SimpleUploadedFile("don.pdf", PDF, "application/pdf")},
    )  # fmt: skip


def _botguard(client: Client, draft: OnlineDraft) -> dict[str, str]:
    page = client.get(_draft_url("apply_review", draft))
    assert page.status_code == 200, page.content[:300]
    token = page.content.decode().split('name="form_started" value="')[1].split('"')[0]
    return {"form_started": token, "website": ""}


def test_double_submit_makes_one_dossier_and_shows_the_code_and_receipt(
    site: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    client = _client(site["citizen"])
    draft = _start(client)
    _ready(client, draft)
    guard = _botguard(client, draft)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(_draft_url("apply_submit", draft), guard)
    second = client.post(_draft_url("apply_submit", draft), guard)
    assert first.status_code == 302
    assert second.status_code == 302
    assert first["Location"] == second["Location"] == _draft_url("apply_done", draft)
    assert Dossier.objects.count() == 1
    dossier = Dossier.objects.get()
    assert dossier.channel == "online"
    assert DossierFile.objects.filter(dossier=dossier).count() == 1
    done = client.get(_draft_url("apply_done", draft))
    assert dossier.code.encode() in done.content
    pdf = client.get(_draft_url("apply_receipt_pdf", draft))
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert pdf["Content-Disposition"].startswith("attachment")


def test_a_bot_post_is_refused_and_writes_nothing(site: dict[str, Any], settings: Any) -> None:
    client = _client(site["citizen"])
    draft = _start(client)
    _ready(client, draft)
    guard = _botguard(client, draft)
    response = client.post(_draft_url("apply_submit", draft), {**guard, "website": "spam"})
    assert response.status_code == 422
    assert b'data-testid="submit-error"' in response.content
    settings.EGOV_BOT_MIN_SECONDS = 3600
    response = client.post(_draft_url("apply_submit", draft), guard)
    assert response.status_code == 422
    assert Dossier.objects.count() == 0


def test_submission_is_rate_limited(site: dict[str, Any], settings: Any) -> None:
    settings.EGOV_RATE_LIMITS = {"submit": (0, 3600)}
    client = _client(site["citizen"])
    draft = _start(client)
    _ready(client, draft)
    response = client.post(_draft_url("apply_submit", draft), _botguard(client, draft))
    assert response.status_code == 429
    assert Dossier.objects.count() == 0


def test_review_sends_back_to_the_form_while_something_is_missing(site: dict[str, Any]) -> None:
    client = _client(site["citizen"])
    draft = _start(client)
    response = client.get(_draft_url("apply_review", draft))
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert b'href="#doc-TP1"' in page.content


# --- supplement ----------------------------------------------------------------------------------


def test_supplement_link_uploads_into_the_same_dossier(
    site: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from egov.dossiers import online_services

    client = _client(site["citizen"])
    draft = _start(client)
    _ready(client, draft)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_draft_url("apply_submit", draft), _botguard(client, draft))
    dossier = Dossier.objects.get()
    counter = OfficerFactory(unit=site["construction"], roles=[(Role.COUNTER, Scope.ORGANIZATION)])
    dossier = services.dossier_request_supplement(
        actor=counter.account,
        dossier=dossier,
        items=[{"document_code": "TP2", "name": "Bản vẽ", "reason": "Thiếu"}],
    )
    page_url = reverse("portal:apply_supplement", kwargs={"code": dossier.code})
    stranger = _client(ApplicantFactory(national_id="079190000456"))
    assert stranger.get(page_url).status_code == 404
    assert Client().get(page_url + "lien-ket/sai/").status_code == 404
    link = online_services.supplement_link(dossier).split("testserver", 1)[-1]
    link = "/" + link.split("/", 3)[-1] if link.startswith("http") else link
    assert client.get(link).status_code == 302
    page = client.get(page_url)
    assert "Thiếu" in page.content.decode()
    response = client.post(
        page_url,
        {"action": "upload", "document_code": "TP2",
         "file": SimpleUploadedFile("ban-ve.pdf", PDF, "application/pdf")},
    )  # fmt: skip
    assert response.status_code == 302
    page = client.get(page_url)
    token = page.content.decode().split('name="form_started" value="')[1].split('"')[0]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(page_url, {"action": "send", "form_started": token, "website": ""})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.state == State.SUBMITTED
    assert Dossier.objects.count() == 1
    assert DossierFile.objects.filter(dossier=dossier, document_code="TP2").count() == 1
    assert Organization.objects.filter(code="H51.04").exists()
