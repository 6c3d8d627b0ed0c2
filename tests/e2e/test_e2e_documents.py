"""An incoming scanned document at the Department of Home Affairs of the demo province, end to
end in the browser: the clerk registers it and presents it to the director, the director
directs it (a specialist leads, the administrative-reform division co-operates), the division
head reports his part, the specialist drafts the reply, the director approves and signs it,
the clerk issues it with the seal, and the specialist completes the incoming document with the
reply. Every step goes through the screens, in Vietnamese."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont
from playwright.sync_api import Page, expect

from egov.core.files import file_open
from egov.directory.demo import OFFICER_PASSWORD, demo_seed
from egov.directory.models import Officer, Organization
from egov.documents.demo import documents_seed_demo
from egov.documents.models import (
    Direction,
    Document,
    DocumentFile,
    DocumentType,
    Register,
    State,
)
from egov.documents.services.text import document_text_extract
from egov.signing import devca, keys, verify
from egov.signing import services as signing
from egov.signing.models import SigningKey

from .conftest import SCREENSHOTS, assert_accessible, outside_event_loop

HOME = "H51.02"  # Sở Nội vụ
CLERK = "vanthu.snv"
DIRECTOR = "giamdoc.snv"  # head of the department, no second factor
UNIT_HEAD = "truongphong.snv"  # head of Phòng Cải cách hành chính (H51.02.03)
SPECIALIST = "chuyenvien.snv"  # Phòng Công chức, viên chức (H51.02.02)
ISSUER = "H51.03"  # Sở Tài chính: sends the request, receives the reply inside the platform
KEY_SECRET = "mat-khau-khoa-ky"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

SUBJECT_IN = "V/v cung cấp số liệu biên chế công chức năm 2027"
SUBJECT_OUT = "V/v cung cấp số liệu biên chế công chức năm 2027 (trả lời Công văn 215/STC-NS)"


def _scanned_pdf(path: Path) -> None:
    """A page of Vietnamese text rendered to pixels and wrapped in a PDF: no text layer."""
    page = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, 34)
    lines = [
        "UBND TỈNH QUẢNG NGÃI",
        "SỞ TÀI CHÍNH",
        "Số: 215/STC-NS",
        "",
        "V/v cung cấp số liệu biên chế công chức năm 2027",
        "",
        "Kính gửi: Sở Nội vụ tỉnh Quảng Ngãi",
        "Đề nghị Sở Nội vụ cung cấp số liệu biên chế",
        "công chức giao năm 2027 trước ngày 05/12/2026.",
    ]
    for row, line in enumerate(lines):
        draw.text((120, 140 + row * 60), line, fill=0, font=font)
    buffer = io.BytesIO()
    page.save(buffer, "PDF", resolution=150)
    path.write_bytes(buffer.getvalue())


def _keys(director: Officer, home: Organization) -> tuple[SigningKey, SigningKey, bytes]:
    """The director's personal key and the department's seal from a development CA."""
    keys.signer_cache.forget()
    ca = devca.build_dev_ca(
        seal_org_code=home.code,
        seal_org_name=home.name_vi,
        officers=[devca.OfficerCert(DIRECTOR, director.full_name, home.name_vi, "")],
        password=KEY_SECRET,
    )
    signing.trusted_root_add(
        actor=None, certificate=ca.root.certificate.public_bytes(serialization.Encoding.PEM)
    )
    personal = signing.signing_key_import_pkcs12(
        actor=None,
        data=ca.officers[DIRECTOR].pkcs12(KEY_SECRET, DIRECTOR),
        password=KEY_SECRET,
        officer=director,
    )
    seal = signing.signing_key_import_pkcs12(
        actor=None,
        data=ca.seal.pkcs12(KEY_SECRET, "seal"),
        password=KEY_SECRET,
        organization=home,
    )
    return personal, seal, ca.root.certificate.public_bytes(serialization.Encoding.DER)


def _sign_in(page: Page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/dang-nhap/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(OFFICER_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url("/lam-viec/")


def _documents_tab(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Văn bản").get_by_role("link", name=name).click()


def _success(page: Page, text: str) -> None:
    expect(page.locator(".alert--success")).to_contain_text(text)


def _officer(username: str) -> Officer:
    return Officer.objects.select_related("unit").get(account__username=username)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_incoming_scan_is_directed_answered_signed_issued_and_completed(
    page: Page, tmp_path: Path
) -> None:
    demo_seed()
    documents_seed_demo()
    home = Organization.objects.get(code=HOME)
    issuer = Organization.objects.get(code=ISSUER)
    director, specialist = _officer(DIRECTOR), _officer(SPECIALIST)
    reform_unit = _officer(UNIT_HEAD).unit
    personal_key, seal_key, root_der = _keys(director, home)
    today = timezone.localdate()
    register = Register.objects.get(organization=home, code="den")
    arrival = Document.objects.filter(register=register, register_year=today.year).count() + 1
    scan = tmp_path / "cong-van-215-stc-ns.pdf"
    _scanned_pdf(scan)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # 1. The clerk registers the scanned letter and presents it to the director.
    _sign_in(page, CLERK)
    page.goto("/lam-viec/van-ban/den/")
    _documents_tab(page, "Vào sổ văn bản đến")
    expect(page).to_have_url("/lam-viec/van-ban/den/vao-so/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vào sổ văn bản đến")
    assert_accessible(page, "register an incoming document")
    form = page.get_by_test_id("register-form")
    form.locator("#id_main_file").set_input_files(str(scan))
    form.locator("#id_issuer").select_option(str(issuer.pk))
    form.locator("#id_document_type").select_option(
        str(DocumentType.objects.get(code="cong-van").pk)
    )
    form.locator("#id_code_number").fill("215")
    form.locator("#id_code_notation").fill("STC-NS")
    form.locator("#id_issued_on").fill((today - timedelta(days=2)).isoformat())
    form.locator("#id_subject").fill(SUBJECT_IN)
    form.locator("#id_signer_name").fill("Tạ Văn Minh")
    form.locator("#id_signer_position").fill("Phó Giám đốc")
    form.locator("#id_page_count").fill("1")
    form.locator("button[type=submit]").click()

    _success(page, f"Đã vào sổ với số đến {arrival}.")
    incoming = Document.objects.get(
        organization=home, direction=Direction.INCOMING, code_number="215", code_notation="STC-NS"
    )
    expect(page).to_have_url(f"/lam-viec/van-ban/den/{incoming.pk}/")
    assert (incoming.register_id, incoming.register_number, incoming.state) == (
        register.pk,
        arrival,
        State.REGISTERED,
    )
    metadata = page.get_by_test_id("metadata")
    expect(metadata).to_contain_text(f"{arrival}/{today.year}")
    expect(metadata).to_contain_text("215/STC-NS")
    expect(metadata).to_contain_text(issuer.name_vi)
    expect(metadata).to_contain_text("Giấy (đã quét)")
    expect(page.get_by_test_id("document-state")).to_have_text("Đã vào sổ")
    expect(page.get_by_test_id("files")).to_contain_text("cong-van-215-stc-ns.pdf")
    assert_accessible(page, "incoming document, registered")

    # The background worker reads the scan (Tesseract); the clerk sees what it read, to confirm.
    assert incoming.text_state == Document.TextState.PENDING
    document_text_extract(document_id=incoming.pk)
    page.reload()
    expect(page.locator("section[aria-labelledby=files-title]")).to_contain_text(
        "Trích xuất nội dung: Đã nhận dạng (OCR)"
    )
    suggestions = page.get_by_test_id("ocr-suggestions")
    expect(suggestions.locator("tr[data-suggestion=code_number]")).to_contain_text("215")
    expect(suggestions.locator("tr[data-suggestion=code_notation]")).to_contain_text("STC-NS")
    assert_accessible(page, "incoming document, OCR suggestions")

    present = page.locator("details[data-action=trinh]")
    present.locator("summary").click()
    present.locator("select[name=head]").select_option(str(director.pk))
    present.locator("button[type=submit]").click()
    _success(page, "Đã trình văn bản lên lãnh đạo.")
    expect(page.get_by_test_id("document-state")).to_have_text("Đã trình lãnh đạo")

    # 2. The director finds it in "my documents" and writes the direction (bút phê).
    _sign_in(page, DIRECTOR)
    page.goto("/lam-viec/van-ban/den/")
    _documents_tab(page, "Văn bản của tôi")
    expect(page.get_by_role("heading", level=1)).to_have_text("Văn bản của tôi")
    mine = page.get_by_test_id("my-documents")
    expect(mine.get_by_role("link", name=SUBJECT_IN)).to_be_visible()
    assert_accessible(page, "my documents (director)")
    mine.get_by_role("link", name=SUBJECT_IN).click()
    expect(page).to_have_url(f"/lam-viec/van-ban/den/{incoming.pk}/")

    due = today + timedelta(days=7)
    direct = page.locator("details[data-action=but-phe]")
    expect(direct).to_have_attribute("open", "")
    direct.locator("textarea[name=direction_text]").fill(
        "Giao đồng chí Khoa chủ trì, dự thảo văn bản trả lời Sở Tài chính; "
        "Phòng Cải cách hành chính phối hợp."
    )
    direct.locator("select[name=lead_officer]").select_option(str(specialist.pk))
    direct.locator(f"input[name=co_units][value='{reform_unit.pk}']").check()
    direct.locator("input[name=due_on]").fill(due.isoformat())
    assert_accessible(page, "incoming document, direction form")
    direct.locator("button[type=submit]").click()
    _success(page, "Đã ghi ý kiến chỉ đạo và chuyển xử lý.")
    expect(page.get_by_test_id("document-state")).to_have_text("Đang giải quyết")
    routes = page.get_by_test_id("routes")
    expect(routes.locator("li[data-role=lead]")).to_contain_text(specialist.full_name)
    expect(routes.locator("li[data-role=co]")).to_contain_text(reform_unit.name_vi)

    # 3. The division head sees his co-operating part and reports it done.
    _sign_in(page, UNIT_HEAD)
    page.goto("/lam-viec/van-ban/cua-toi/")
    row = page.get_by_test_id("my-documents").locator("tr", has_text=SUBJECT_IN)
    expect(row).to_contain_text("Phối hợp")
    row.get_by_role("link", name=SUBJECT_IN).click()
    co_route = incoming.routes.get(role="co")
    co_done = page.locator(f"details[data-action=hoan-thanh][data-route='{co_route.pk}']")
    co_done.locator("summary").click()
    co_done.locator("textarea[name=result_note]").fill(
        "Đã rà soát số liệu vị trí việc làm, thống nhất với Phòng Công chức, viên chức."
    )
    co_done.locator("button[type=submit]").click()
    _success(page, "Đã ghi nhận báo cáo hoàn thành của bạn.")
    expect(page.get_by_test_id("document-state")).to_have_text("Đang giải quyết")

    # 4. The specialist opens it (read receipt) and drafts the reply.
    _sign_in(page, SPECIALIST)
    page.goto("/lam-viec/van-ban/cua-toi/")
    row = page.get_by_test_id("my-documents").locator("tr", has_text=SUBJECT_IN)
    expect(row).to_contain_text("Chủ trì")
    expect(row).to_contain_text(due.strftime("%d/%m/%Y"))
    assert_accessible(page, "my documents (specialist)")
    row.get_by_role("link", name=SUBJECT_IN).click()
    lead = page.get_by_test_id("routes").locator("li[data-role=lead]")
    expect(lead).to_contain_text("Đã đọc")
    page.get_by_test_id("draft-reply").click()
    expect(page).to_have_url(f"/lam-viec/van-ban/di/du-thao-moi/?tra-loi={incoming.pk}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dự thảo mới")
    assert_accessible(page, "new draft")
    draft_form = page.get_by_test_id("draft-form")
    draft_form.locator("#id_document_type").select_option(
        str(DocumentType.objects.get(code="cong-van").pk)
    )
    draft_form.locator("#id_subject").fill(SUBJECT_OUT)
    draft_form.locator("#id_body").fill(
        "Sở Nội vụ cung cấp số liệu biên chế công chức năm 2027 như sau:\n"
        "Tổng số biên chế công chức được giao: 2.145 biên chế."
    )
    draft_form.locator("#id_recipient_organizations").select_option(str(issuer.pk))
    draft_form.locator("#id_recipients_typed").fill("Bộ Nội vụ [G01]")
    draft_form.locator("#id_signer").select_option(str(director.pk))
    draft_form.locator("button[type=submit]").click()
    _success(page, "Đã tạo dự thảo.")
    reply = Document.objects.get(direction=Direction.OUTGOING, subject=SUBJECT_OUT)
    expect(page).to_have_url(f"/lam-viec/van-ban/di/{reply.pk}/")
    assert reply.reply_to_id == incoming.pk
    expect(page.get_by_test_id("state")).to_have_text("Dự thảo")
    expect(page.get_by_test_id("reply-to")).to_contain_text("215/STC-NS")
    expect(page.get_by_test_id("recipients")).to_contain_text(issuer.name_vi)
    assert_accessible(page, "outgoing draft")

    submit = page.locator("details[data-action=submit]")
    submit.locator("summary").click()
    expect(submit.locator("select[name=sign] option:checked")).to_contain_text(director.full_name)
    submit.locator("button[type=submit]").click()
    _success(page, "Đã trình duyệt dự thảo.")
    expect(page.get_by_test_id("state")).to_have_text("Chờ duyệt")
    steps = {s.kind: s.approver for s in reply.approvals.all()}
    assert steps == {"review": director, "sign": director}

    # 5. The director approves both steps from "waiting for my approval" and signs.
    _sign_in(page, DIRECTOR)
    for kind in ("Duyệt nội dung", "Duyệt ký"):
        page.goto("/lam-viec/van-ban/den/")
        _documents_tab(page, "Chờ tôi duyệt")
        waiting = page.get_by_test_id("waiting").locator("tr", has_text=SUBJECT_OUT)
        expect(waiting).to_contain_text(kind)
        if kind == "Duyệt nội dung":
            assert_accessible(page, "waiting for my approval")
        waiting.get_by_role("link", name=SUBJECT_OUT).click()
        decide = page.locator("details[data-action=decide]")
        expect(decide.locator("input[name=decision][value=approve]")).to_be_checked()
        decide.locator("button[type=submit]").click()
        _success(page, "Đã duyệt.")
    expect(page.get_by_test_id("state")).to_have_text("Đã duyệt, chờ ký")
    sign = page.locator("details[data-action=sign]")
    sign.locator("select[name=key]").select_option(str(personal_key.pk))
    sign.locator("input[name=secret]").fill(KEY_SECRET)
    assert_accessible(page, "outgoing document, sign form")
    sign.locator("button[type=submit]").click()
    _success(page, "Văn bản đã được ký số.")
    expect(page.get_by_test_id("state")).to_have_text("Đã ký, chờ phát hành")

    # 6. The clerk issues it with the seal: number, notation and deliveries.
    _sign_in(page, CLERK)
    page.goto("/lam-viec/van-ban/den/")
    _documents_tab(page, "Văn bản đi")
    listed = page.get_by_test_id("outgoing-list").locator(f"tr[data-document='{reply.pk}']")
    expect(listed).to_contain_text(SUBJECT_OUT)
    expect(listed).to_contain_text("Đã ký, chờ phát hành")
    listed.get_by_role("link").click()
    expect(page).to_have_url(f"/lam-viec/van-ban/di/{reply.pk}/")
    issue = page.locator("details[data-action=issue]")
    issue.locator("select[name=key]").select_option(str(seal_key.pk))
    issue.locator("input[name=secret]").fill(KEY_SECRET)
    issue.locator("button[type=submit]").click()
    reply.refresh_from_db()
    assert reply.state == State.ISSUED
    # A công văn's notation is the issuer's abbreviation, then the drafting unit's.
    notation = f"{home.abbreviation}-{specialist.unit.abbreviation}"
    assert notation == "SNV-CCVC"
    assert reply.number_notation == f"01/{notation}"
    _success(page, f"Đã ban hành với số 01/{notation}.")
    expect(page.get_by_test_id("number")).to_have_text(f"01/{notation}")
    expect(page.get_by_test_id("state")).to_have_text("Đã phát hành")
    deliveries = page.get_by_test_id("deliveries")
    expect(deliveries.locator("tr", has_text=issuer.name_vi)).to_contain_text("Đã đến")
    expect(deliveries.locator("tr", has_text="Bộ Nội vụ")).to_contain_text("Chờ gửi liên thông")
    assert_accessible(page, "outgoing document, issued")
    page.screenshot(path=str(SCREENSHOTS / "documents-issued.png"), full_page=True)

    # 7. The specialist completes the incoming document with the issued reply.
    _sign_in(page, SPECIALIST)
    page.goto(f"/lam-viec/van-ban/den/{incoming.pk}/")
    lead_route = incoming.routes.get(role="lead")
    done = page.locator(f"details[data-action=hoan-thanh][data-route='{lead_route.pk}']")
    done.locator("summary").click()
    done.locator("textarea[name=result_note]").fill(
        "Đã trả lời Sở Tài chính bằng văn bản đã ban hành."
    )
    done.locator("select[name=reply_document]").select_option(str(reply.pk))
    done.locator("button[type=submit]").click()
    _success(page, "Đã ghi nhận báo cáo hoàn thành của bạn.")
    expect(page.get_by_test_id("document-state")).to_have_text("Đã hoàn thành")
    lead = page.get_by_test_id("routes").locator("li[data-role=lead]")
    expect(lead).to_contain_text(f"01/{notation}")
    expect(lead).to_contain_text("Đã hoàn thành")
    assert_accessible(page, "incoming document, completed")
    page.screenshot(path=str(SCREENSHOTS / "documents-completed.png"), full_page=True)

    incoming.refresh_from_db()
    assert incoming.state == State.COMPLETED
    lead_route.refresh_from_db()
    assert lead_route.reply_document_id == reply.pk

    # The issued PDF carries the director's signature and the department's seal, both valid.
    main = DocumentFile.objects.select_related("file").get(
        document=reply, role=DocumentFile.Role.MAIN
    )
    with file_open(main.file) as handle:
        issued_pdf = handle.read()
    reports = outside_event_loop(verify.verify_pdf, issued_pdf, [root_der])
    assert [r.signer_name for r in reports] == [director.full_name, home.name_vi]
    assert all(r.ok for r in reports)
