"""A dossier at the one-stop counter of the demo province, end to end in the browser: the
counter receives it and prints the receipt, an officer and the director of the Department of
Home Affairs handle it, the counter returns the result; the applicant checks the status."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from egov.directory.demo import OFFICER_PASSWORD, demo_seed
from egov.dossiers.models import Dossier, State
from egov.procedures.services import procedures_seed_demo

from .conftest import SCREENSHOTS, assert_accessible

PROCEDURE = "DEMO-LD-02"  # Sở Nội vụ: counter → officer → head (check) → head (approve) → counter
COUNTER = "motcua.ttpvhcc"
OFFICER = "phogiamdoc.snv"  # officer role over the whole department
HEAD = "giamdoc.snv"
BUSINESS_TAX_CODE = "4300123458"


def _sign_in(page: Page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/dang-nhap/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(OFFICER_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url("/lam-viec/")


def _act(page: Page, slug: str, fields: dict[str, str] | None = None) -> None:
    box = page.locator(f"details[data-action={slug}]")
    box.locator("summary").click()
    for name, value in (fields or {}).items():
        box.locator(f"[name='{slug}-{name}']").fill(value)
    box.locator("button[type=submit]").click()
    expect(page.locator(".alert--success")).to_be_visible()


def _open_from_queue(page: Page, code: str) -> None:
    page.goto("/lam-viec/ho-so/")
    assert_accessible(page, "my dossiers")
    page.locator(f"tr[data-code='{code}'] a").click()
    expect(page.get_by_test_id("dossier-code")).to_have_text(code)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_counter_officer_and_head_take_a_dossier_to_its_result(page: Page) -> None:
    demo_seed()
    procedures_seed_demo()

    # the counter finds the procedure without diacritics and receives the dossier
    _sign_in(page, COUNTER)
    page.locator("nav.side-nav a[href='/lam-viec/ho-so/']").click()
    expect(page).to_have_url("/lam-viec/ho-so/")
    page.goto("/lam-viec/ho-so/tiep-nhan/?q=noi+quy+lao+dong")
    assert_accessible(page, "choose a procedure")
    page.locator(f"a[href='/lam-viec/ho-so/tiep-nhan/{PROCEDURE}/']").click()
    form = page.get_by_test_id("receive-form")
    form.locator("[name=applicant_id]").fill(BUSINESS_TAX_CODE)
    form.locator("button[value=lookup]").click()
    expect(page.get_by_test_id("applicant")).to_contain_text("Công ty TNHH Dịch vụ Mẫu Quảng Ngãi")
    assert_accessible(page, "receive form")
    form.locator("[name=f_ten_doanh_nghiep]").fill("Công ty TNHH Dịch vụ Mẫu Quảng Ngãi")
    form.locator("[name=f_nguoi_dai_dien]").fill("Nguyễn Văn Hải")
    form.locator("[name=f_so_dinh_danh]").fill("051185000123")
    form.locator("[name=f_dien_thoai]").fill("0900000009")
    form.locator("[name=f_tinh]").select_option("51")
    form.locator("[name=f_xa]").fill("21211")
    form.locator("[name=doc_TP1]").check()
    form.locator("[name=doc_TP2]").check()
    form.locator("[name=file_TP1]").set_input_files(
        files=[
            {"name": "noi-quy.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}
        ]
    )
    form.locator("button[value=receive]").click()

    # the receipt, ready to print
    receipt = page.get_by_test_id("receipt")
    expect(receipt).to_be_visible()
    code = page.get_by_test_id("dossier-code").inner_text()
    expect(page.locator("button[data-print]")).to_be_visible()
    assert_accessible(page, "receipt")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.emulate_media(media="print")
    page.screenshot(path=str(SCREENSHOTS / "dossier-receipt-print.png"), full_page=True)
    page.emulate_media(media="screen")

    # completeness check at the counter
    page.goto(f"/lam-viec/ho-so/{code}/")
    assert_accessible(page, "dossier page (counter)")
    _act(page, "tiep-nhan-du")
    expect(page.get_by_test_id("dossier-state")).to_have_attribute("data-state", "accepted")

    # the officer of the department takes the step and hands it over
    _sign_in(page, OFFICER)
    _open_from_queue(page, code)
    _act(page, "bat-dau-buoc")
    _act(page, "hoan-thanh-buoc", {"note": "Nội quy phù hợp Bộ luật Lao động"})

    # the director checks, then approves
    _sign_in(page, HEAD)
    _open_from_queue(page, code)
    _act(page, "bat-dau-buoc")
    _act(page, "hoan-thanh-buoc")
    assert_accessible(page, "dossier page (head)")
    _act(page, "phe-duyet", {"result_number": "15/TB-SNV"})
    expect(page.get_by_test_id("dossier-state")).to_have_attribute("data-state", "approved")
    page.goto("/lam-viec/ho-so/bang-theo-doi/")
    expect(page.get_by_test_id("total")).to_have_text("1")
    assert_accessible(page, "board")

    # the counter returns the result
    _sign_in(page, COUNTER)
    _open_from_queue(page, code)
    box = page.locator("details[data-action=tra-ket-qua]")
    box.locator("summary").click()
    box.locator("[name='tra-ket-qua-delivery']").select_option("counter")
    box.locator("button[type=submit]").click()
    expect(page.get_by_test_id("dossier-state")).to_have_attribute("data-state", "returned")
    expect(page.locator("[data-testid=timeline] li")).to_have_count(8)

    dossier = Dossier.objects.get(code=code)
    assert (dossier.state, dossier.result_number, dossier.delivery) == (
        State.RETURNED,
        "15/TB-SNV",
        "counter",
    )

    # the applicant checks the status from the receipt's QR target, with the phone number
    page.context.clear_cookies()
    page.goto(f"/tra-cuu-ho-so/{code}/")
    page.locator("[name=secret]").fill("0900000009")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("status-found")).to_be_visible()
    assert_accessible(page, "public status")
