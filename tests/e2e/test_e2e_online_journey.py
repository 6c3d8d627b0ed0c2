"""Issue 5 acceptance in a real browser: a citizen finds a construction-permit procedure typed
without diacritics, applies online (a wrong ID caught and corrected, a paper uploaded), gets
the dossier code, pays the fees in the sandbox gateway, later downloads the signed e-result
and rates the service; a second browser on a phone tracks the same dossier by code + phone.
The officers' part (accept, check, approve, sign) runs through the services in between."""

from __future__ import annotations

import importlib.util
import io
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import Browser, Page, expect
from reportlab.pdfgen import canvas

from egov.directory.models import Role, Scope
from egov.directory.services import applicant_register_citizen
from egov.dossiers import services
from egov.dossiers.models import Dossier, DossierStep, Rating, State
from egov.dossiers.result_services import dossier_sign_result
from egov.payments.models import Payment, PaymentState
from egov.procedures.models import Field
from egov.procedures.services import procedure_create
from egov.signing import devca, keys, verify
from egov.signing import services as signing

from .conftest import assert_accessible, outside_event_loop

_NAME = "directory_factories"
if _NAME not in sys.modules:
    _path = Path(__file__).parent.parent / "directory" / "factories.py"
    _spec = importlib.util.spec_from_file_location(_NAME, _path)
    assert _spec is not None
    assert _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _module
    _spec.loader.exec_module(_module)

from directory_factories import OfficerFactory, OrganizationFactory  # noqa: E402

CODE = "DEMO-XD-40"
PASSWORD = "Mật-khẩu-Công-dân-2025!"
KEY_SECRET = "khoa-ky-thu-nghiem"
PHONE = "0912345678"
PDF = b"%PDF-1.4\n" + b"1 0 obj<<>>endobj\n" * 300 + b"trailer<<>>\n%%EOF\n"
PROCEDURE: dict[str, Any] = {
    "code": CODE,
    "code_status": "unverified",
    "name": "Cấp giấy phép xây dựng đối với công trình không theo tuyến",
    "field": "XD",
    "level": "province",
    "effective_from": "2025-07-01",
    "competent_organization": {"code": "H51.04", "name": "Sở Xây dựng"},
    "executing_organization": {"code": "H51.04", "name": "Sở Xây dựng"},
    "channels": [{"channel": "online", "time": 5, "unit": "working_days"}],
    "documents": [{"code": "TP1", "name": "Đơn đề nghị cấp giấy phép", "originals": 1}],
    "fees": [{"kind": "charge", "name": "Lệ phí cấp giấy phép xây dựng", "amount": 150000}],
    "result": "Giấy phép xây dựng",
    "service_level": "full_online",
    "life_events": ["house"],
    "eform_schema": {
        "type": "object",
        "title": "Tờ khai",
        "properties": {
            "ho_ten": {"type": "string", "title": "Họ, chữ đệm và tên", "maxLength": 150},
            "so_dinh_danh": {
                "type": "string",
                "format": "national-id",
                "title": "Số định danh cá nhân",
            },
        },
        "required": ["ho_ten", "so_dinh_danh"],
        "additionalProperties": False,
    },
    "steps": [
        {"name": "Tiếp nhận", "role": "counter", "days": 0.5},
        {"name": "Thẩm định", "unit": "H51.04.02", "days": 3},
        {"name": "Phê duyệt", "role": "head", "days": 1},
        {"name": "Trả kết quả", "role": "counter", "days": 0.5},
    ],
    "publish": True,
}


def _result_pdf() -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "GIAY PHEP XAY DUNG so 15/GPXD")
    page.save()
    return buffer.getvalue()


def _sideways(page: Page) -> int:
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def _officers_process(dossier: Dossier, people: dict[str, Any], ca: devca.DevCa) -> None:
    """What the counter, the officer and the head do between the citizen's two visits."""
    dossier = services.dossier_accept(actor=people["counter"].account, dossier=dossier)
    step = DossierStep.objects.filter(dossier=dossier, finished_at__isnull=True).order_by("order")
    check = step.first()
    assert check is not None
    services.dossier_start_step(actor=people["officer"].account, dossier=dossier, step=check)
    dossier.refresh_from_db()
    services.dossier_complete_step(actor=people["officer"].account, dossier=dossier, step=check)
    dossier.refresh_from_db()
    dossier = services.dossier_approve_result(
        actor=people["head"].account,
        dossier=dossier,
        result_number="15/GPXD",
        result_file=services.IncomingFile(upload=_result_pdf(), name="giay-phep.pdf"),
    )
    keys.signer_cache.forget()
    signing.trusted_root_add(
        actor=None, certificate=ca.root.certificate.public_bytes(serialization.Encoding.PEM)
    )
    key = signing.signing_key_import_pkcs12(
        actor=None,
        data=ca.officers["head"].pkcs12(KEY_SECRET, "head"),
        password=KEY_SECRET,
        officer=people["head"],
    )
    dossier_sign_result(
        actor=people["head"].account, dossier=dossier, key_id=key.pk, secret=KEY_SECRET
    )


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_find_apply_pay_track_download_and_rate(
    page: Page, browser: Browser, live_server: Any, tmp_path: Path, settings: Any
) -> None:
    settings.EGOV_PUBLIC_URL = live_server.url  # where the sandbox gateway sends its IPN
    root = OrganizationFactory(code="H51", committee=True, name_vi="UBND tỉnh")
    department = OrganizationFactory(code="H51.04", parent=root, name_vi="Sở Xây dựng")
    unit = OrganizationFactory(code="H51.04.02", parent=department, unit=True)
    people = {
        "counter": OfficerFactory(unit=department, roles=[(Role.COUNTER, Scope.ORGANIZATION)]),
        "officer": OfficerFactory(unit=unit, roles=[(Role.OFFICER, Scope.UNIT)]),
        "head": OfficerFactory(unit=department, roles=[(Role.HEAD, Scope.ORGANIZATION)]),
    }
    Field.objects.create(code="XD", name="Hoạt động xây dựng")
    procedure_create(actor=None, data=PROCEDURE, as_system=True)
    applicant_register_citizen(
        full_name="Lê Thị Dân",
        national_id="051185000123",
        phone=PHONE,
        email="dan@example.vn",
        password=PASSWORD,
    )
    ca = devca.build_dev_ca(
        seal_org_code="H51.04",
        seal_org_name="Sở Xây dựng",
        officers=[devca.OfficerCert("head", "Trần Văn Hùng", "Sở Xây dựng", "Ban Giám đốc")],
        password=KEY_SECRET,
    )
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # 1. Find the procedure, typed without diacritics.
    page.goto("/thu-tuc/")
    page.locator("#cat-q").fill("cap phep xay dung")
    page.locator("form[role=search] button[type=submit]").first.click()
    result = page.locator(".catalogue-list__name a", has_text="Cấp giấy phép xây dựng")
    expect(result.first).to_be_visible()
    assert_accessible(page, "catalogue results")
    result.first.click()
    expect(page.locator("h1")).to_contain_text("Cấp giấy phép xây dựng")
    page.locator("a.catalogue-apply").first.click()

    # 2. Sign in from the application page, then fill the form: a wrong ID, corrected.
    page.get_by_test_id("sign-in-link").click()
    page.locator("[name=username]").fill("051185000123")
    page.locator("[name=password]").fill(PASSWORD)
    page.locator("form:has([name=password]) button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/nop-ho-so/{CODE}/$"))
    page.get_by_test_id("apply-begin").click()
    form = page.get_by_test_id("apply-form")
    form.locator("[name=f_so_dinh_danh]").fill("05118500012")
    page.get_by_test_id("to-review").click()
    expect(page.get_by_test_id("error-summary")).to_be_visible()
    expect(page.locator("#id_f_so_dinh_danh_error")).to_contain_text("Số định danh cá nhân")
    form.locator("[name=f_so_dinh_danh]").fill("051185000123")
    paper = tmp_path / "don-de-nghi.pdf"
    paper.write_bytes(PDF)
    form.locator("[name=file_TP1]").set_input_files(str(paper))
    page.locator("[data-upload=TP1]").click()
    expect(page.get_by_test_id("files-TP1")).to_contain_text("don-de-nghi.pdf", timeout=20_000)
    page.get_by_test_id("to-review").click()
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("dossier-code")).to_be_visible()
    dossier = Dossier.objects.get()
    expect(page.get_by_test_id("dossier-code")).to_have_text(dossier.code)
    assert dossier.fee_due is True

    # 3. Pay in the sandbox gateway from the citizen's own dossier page.
    page.goto(f"/cong-dan/ho-so/{dossier.code}/")
    page.get_by_test_id("action-pay").click()
    expect(page.get_by_test_id("payment-total")).to_contain_text("150.000")
    page.get_by_test_id("payment-pay").click()
    expect(page.get_by_test_id("sandbox-amount")).to_contain_text("150.000")
    page.get_by_test_id("sandbox-pay").click()
    expect(page.get_by_test_id("payment-paid")).to_be_visible()
    assert_accessible(page, "payment result")
    payment = Payment.objects.get(dossier=dossier)
    assert payment.state == PaymentState.PAID
    assert payment.credited is True
    dossier.refresh_from_db()
    assert dossier.paid_online is True
    assert not dossier.fees.filter(paid=False).exists()

    # 4. The officers handle it and the head signs the result.
    outside_event_loop(_officers_process, dossier, people, ca)
    dossier.refresh_from_db()
    assert dossier.state == State.APPROVED
    assert dossier.result_signed_at is not None

    # 5. A second browser, on a phone, tracks the dossier by code + phone without an account.
    phone = browser.new_context(
        locale="vi-VN", viewport={"width": 360, "height": 740}, base_url=live_server.url
    ).new_page()
    phone.goto("/tra-cuu-ho-so/")
    phone.locator("[name=code]").fill(dossier.code)
    phone.locator("[name=secret]").fill(PHONE)
    phone.locator("form:has([name=secret]) button[type=submit]").click()
    expect(phone.get_by_test_id("status-found")).to_be_visible()
    expect(phone.get_by_test_id("status-timeline")).to_be_visible()
    assert_accessible(phone, "status on a phone")
    assert _sideways(phone) == 0
    phone.context.close()

    # 6. The citizen downloads the signed e-result and rates the service.
    page.goto(f"/cong-dan/ho-so/{dossier.code}/")
    expect(page.get_by_test_id("status-verify")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_test_id("action-download").first.click()
    signed = Path(download_info.value.path()).read_bytes()
    reports = outside_event_loop(
        verify.verify_pdf,
        signed,
        [ca.root.certificate.public_bytes(serialization.Encoding.DER)],
    )
    assert [r.signer_name for r in reports] == ["Trần Văn Hùng"]
    assert all(r.ok for r in reports)
    page.get_by_test_id("action-rate").click()
    for name in page.eval_on_selector_all(
        "form input[type=radio]", "els => [...new Set(els.map(e => e.name))]"
    ):
        page.locator(f"form input[type=radio][name='{name}']").first.check()
    page.locator("textarea").first.fill("Nhanh, không phải đi lại.")
    page.locator("form button[type=submit]").last.click()
    expect(page.get_by_test_id("rated")).to_be_visible()
    rating = Rating.objects.get(dossier=dossier)
    assert (rating.score, rating.satisfied) == (5, True)
    assert errors == []
