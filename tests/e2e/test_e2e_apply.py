"""A citizen applies online in a real browser: wrong ID caught, corrected, chunked upload,
review, submit, dossier code; on a 360 px phone; axe-clean pages."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from egov.directory.services import applicant_register_citizen
from egov.dossiers import online_services
from egov.dossiers.models import Dossier, DossierFile
from egov.dossiers.models_online import UploadSession
from egov.procedures.models import Field
from egov.procedures.services import procedure_create

from .conftest import assert_accessible

_NAME = "directory_factories"
if _NAME not in sys.modules:
    _path = Path(__file__).parent.parent / "directory" / "factories.py"
    _spec = importlib.util.spec_from_file_location(_NAME, _path)
    assert _spec is not None
    assert _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _module
    _spec.loader.exec_module(_module)

from directory_factories import OrganizationFactory  # noqa: E402

CODE = "DEMO-XD-30"
PASSWORD = "Mật-khẩu-Công-dân-2025!"
PDF = b"%PDF-1.4\n" + b"1 0 obj<<>>endobj\n" * 700 + b"trailer<<>>\n%%EOF\n"
PROCEDURE: dict[str, Any] = {
    "code": CODE,
    "code_status": "unverified",
    "name": "Cấp giấy phép xây dựng nhà ở riêng lẻ",
    "field": "XD",
    "level": "province",
    "effective_from": "2025-07-01",
    "competent_organization": {"code": "H51.04", "name": "Sở Xây dựng"},
    "executing_organization": {"code": "H51.04", "name": "Sở Xây dựng"},
    "channels": [{"channel": "online", "time": 5, "unit": "working_days"}],
    "documents": [
        {"code": "TP1", "name": "Đơn đề nghị cấp giấy phép", "originals": 1, "copies": 0}
    ],
    "result": "Giấy phép xây dựng",
    "service_level": "full_online",
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
            "dien_thoai": {"type": "string", "format": "phone", "title": "Số điện thoại"},
            "tinh": {"type": "string", "format": "province-code", "title": "Tỉnh, thành phố"},
            "xa": {"type": "string", "format": "commune-code", "title": "Xã, phường, đặc khu"},
        },
        "required": ["ho_ten", "so_dinh_danh", "dien_thoai", "tinh", "xa"],
        "additionalProperties": False,
    },
    "steps": [{"name": "Tiếp nhận", "role": "counter", "days": 1}],
    "publish": True,
}


def _no_sideways_scroll(page: Page) -> int:
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_citizen_applies_online_on_a_phone(
    page: Page, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(online_services, "CHUNK_MAX", 4096)  # several chunks for a small file
    root = OrganizationFactory(code="H51", committee=True, name_vi="UBND tỉnh")
    OrganizationFactory(code="H51.04", parent=root, name_vi="Sở Xây dựng")
    Field.objects.create(code="XD", name="Hoạt động xây dựng")
    procedure_create(actor=None, data=PROCEDURE, as_system=True)
    applicant_register_citizen(
        full_name="Lê Thị Dân",
        national_id="051185000123",
        phone="0912345678",
        email="dan@example.vn",
        password=PASSWORD,
    )
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.set_viewport_size({"width": 360, "height": 740})

    # Not signed in: the start page sends to the sign-in with next=, then back.
    page.goto(f"/nop-ho-so/{CODE}/")
    page.get_by_test_id("sign-in-link").click()
    page.locator("[name=username]").fill("051185000123")
    page.locator("[name=password]").fill(PASSWORD)
    page.locator("form:has([name=password]) button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/nop-ho-so/{CODE}/$"))
    expect(page.get_by_test_id("apply-as")).to_contain_text("Lê Thị Dân")
    assert_accessible(page, "apply start")
    page.get_by_test_id("apply-begin").click()

    # The form, pre-filled from the account; a wrong ID is caught next to the field.
    form = page.get_by_test_id("apply-form")
    expect(form.locator("[name=f_so_dinh_danh]")).to_have_value("051185000123")
    form.locator("[name=f_so_dinh_danh]").fill("05118500012")
    form.locator("[name=f_tinh]").select_option("51")
    expect(form.locator("[name=f_xa] option")).not_to_have_count(1)
    form.locator("[name=f_xa]").select_option(index=1)
    page.get_by_test_id("to-review").click()
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    error = page.locator("#id_f_so_dinh_danh_error")
    expect(error).to_contain_text("Số định danh cá nhân")
    expect(form.locator("[name=f_so_dinh_danh]")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "form with an error")
    assert _no_sideways_scroll(page) == 0
    form.locator("[name=f_so_dinh_danh]").fill("051185000123")
    form.locator("[name=f_so_dinh_danh]").blur()
    expect(error).to_be_hidden()

    # The paper: a chunked upload with progress, then the page shows the file.
    paper = tmp_path / "don-de-nghi.pdf"
    paper.write_bytes(PDF)
    form.locator("[name=file_TP1]").set_input_files(str(paper))
    page.locator("[data-upload=TP1]").click()
    expect(page.get_by_test_id("files-TP1")).to_contain_text("don-de-nghi.pdf", timeout=20_000)
    expect(form.locator("[name=f_so_dinh_danh]")).to_have_value("051185000123")

    # Review, submit, the code.
    page.get_by_test_id("to-review").click()
    expect(page.get_by_test_id("review-form")).to_contain_text("051185000123")
    assert_accessible(page, "review")
    page.get_by_test_id("submit").click()
    code = page.get_by_test_id("dossier-code")
    expect(code).to_be_visible()
    dossier = Dossier.objects.get()
    expect(code).to_have_text(dossier.code)
    assert DossierFile.objects.get(dossier=dossier).stored_file.size == len(PDF)
    assert dossier.channel == "online"
    # The file came through the resumable protocol (apply.js), not the multipart fallback.
    assert UploadSession.objects.filter(state="finished").count() == 1
    assert_accessible(page, "done")
    assert _no_sideways_scroll(page) == 0
    assert errors == []
