"""The official slips (forms 01–06): drawn from the data, in Vietnamese, stored once.

Each PDF is read back with poppler's `pdftotext`, so the assertions see what a reader sees:
the exact Vietnamese words with their diacritics. The dossiers are walked through the services
on the Tết 2026 calendar of test_dossiers_lifecycle.py (intake Thursday 12 February at 09:00,
appointment Thursday 26 February at 17:00).
"""

from __future__ import annotations

import hashlib
import io
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from directory_factories import ApplicantFactory
from dossiers_support import Clock, World, vn
from openpyxl import load_workbook

from egov.core.errors import PermissionDenied, ValidationFailed
from egov.core.files import file_open
from egov.core.models import StoredFile
from egov.dossiers import services, slip_services
from egov.dossiers.models import Dossier, DossierEvent, DossierSlip
from egov.dossiers.slips import control, layout
from egov.dossiers.slips.base import SlipInput
from egov.dossiers.slips.formsets import form_set_for
from egov.dossiers.tasks import render_slip

CODE = "000.00.20.H51-260212-0001"


@pytest.fixture(autouse=True)
def _slip_settings(settings: Any) -> None:
    settings.EGOV_DOSSIER_SLIP_PLACE = "Cần Thơ"
    settings.EGOV_PUBLIC_URL = "https://dichvucong.example.gov.vn/"


def _pdf_text(data: bytes, tmp_path: Path, *, rows: bool = False) -> str:
    """The text poppler reads out of the PDF, with runs of white space made one space; with
    `rows` in the physical layout, so that the cells of a table row come out on one line."""
    source = tmp_path / f"slip-{hashlib.sha256(data).hexdigest()[:12]}.pdf"
    source.write_bytes(data)
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", *(["-layout"] if rows else []), str(source), "-"],
        capture_output=True,
        check=True,
    )
    return " ".join(out.stdout.decode("utf-8").split())


def _stored_text(slip: DossierSlip, tmp_path: Path, *, rows: bool = False) -> str:
    with file_open(slip.stored_file) as handle:
        data = handle.read()
    assert hashlib.sha256(data).hexdigest() == slip.sha256 == slip.stored_file.sha256
    return _pdf_text(data, tmp_path, rows=rows)


def _receive_tuyet(receive: Any) -> Dossier:
    applicant = ApplicantFactory(
        full_name="Nguyễn Thị Ánh Tuyết",
        national_id="051190001234",
        phone="0912345678",
        address="Số 12 đường Trần Hưng Đạo, phường Ninh Kiều",
    )
    return receive(applicant=applicant)


# --- Vietnamese dates ---------------------------------------------------------------------------


def test_dates_have_leading_zeros_for_small_days_and_the_first_two_months(db: None) -> None:
    assert layout.vn_date(date(2026, 1, 5)) == "ngày 05 tháng 01 năm 2026"
    assert layout.vn_date(date(2026, 2, 26)) == "ngày 26 tháng 02 năm 2026"
    assert layout.vn_date(date(2026, 3, 3)) == "ngày 03 tháng 3 năm 2026"
    assert layout.vn_date(date(2026, 12, 1)) == "ngày 01 tháng 12 năm 2026"
    assert layout.vn_moment(vn(2026, 2, 26, 17, 0)) == "17 giờ 00 phút, ngày 26 tháng 02 năm 2026"
    assert layout.money(1_075_000) == "1.075.000 đồng"


def test_form_sets_are_dated_and_the_unconfirmed_one_only_on_request(settings: Any) -> None:
    assert form_set_for(date(2026, 2, 12)).key == "tt01-2018"
    assert form_set_for(date(2026, 2, 12)).form("04").title == (
        "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"
    )
    settings.EGOV_DOSSIER_SLIP_FORM_SET = "tt03-2025"
    chosen = form_set_for(date(2026, 2, 12))
    assert (chosen.key, chosen.to_check) == ("tt03-2025", True)


# --- form 01 ------------------------------------------------------------------------------------


def test_receipt_prints_the_dossier_in_vietnamese_with_code_qr_and_appointment(
    world: World, clock: Clock, receive: Any, tmp_path: Path
) -> None:
    dossier = _receive_tuyet(receive)
    slip = slip_services.slip_render(dossier=dossier, form="01")

    assert (slip.form, slip.form_set) == ("01", "tt01-2018")
    assert slip.source == DossierEvent.objects.get(dossier=dossier, action="receive")
    assert slip.stored_file.content_type == "application/pdf"
    assert slip.stored_file.original_name == f"{CODE}-mau-01.pdf"
    text = _stored_text(slip, tmp_path)
    for expected in [
        "UBND TỈNH",
        "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Cần Thơ, ngày 12 tháng 02 năm 2026",
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        f"Mã hồ sơ: {CODE}",
        f"Mã tra cứu: {dossier.lookup_code}",
        f"https://dichvucong.example.gov.vn/tra-cuu-ho-so/{CODE}/",
        "Trung tâm Phục vụ hành chính công tiếp nhận hồ sơ của:",
        "Ông/Bà (tổ chức): Nguyễn Thị Ánh Tuyết",
        "Số định danh cá nhân: 051190001234",
        "Số điện thoại: 0912345678",
        "Địa chỉ: Số 12 đường Trần Hưng Đạo, phường Ninh Kiều",
        "Nội dung yêu cầu giải quyết: Cấp giấy phép xây dựng nhà ở riêng lẻ",
        "3. Thời gian giải quyết hồ sơ theo quy định: 5 ngày làm việc.",
        "- Lệ phí cấp giấy phép: 75.000 đồng (chưa nộp);",
        "- Phí thẩm định: 1.000.000 đồng (chưa nộp);",
        "Tổng cộng: 1.075.000 đồng.",
        "5. Thời gian nhận hồ sơ: 09 giờ 00 phút, ngày 12 tháng 02 năm 2026.",
        "6. Thời gian trả kết quả giải quyết hồ sơ: 17 giờ 00 phút, ngày 26 tháng 02 năm 2026.",
        "7. Đăng ký nhận kết quả tại: Tại Bộ phận Tiếp nhận và Trả kết quả.",
        "NGƯỜI NỘP HỒ SƠ",
        "NGƯỜI TIẾP NHẬN HỒ SƠ",
        world.counter.full_name,
    ]:
        assert expected in text, expected
    table = _stored_text(slip, tmp_path, rows=True)
    assert "1 Đơn đề nghị 01" in table
    assert "2 Bản vẽ thiết kế 02" in table


def test_a_slip_is_drawn_once_and_later_calls_return_the_stored_file(
    world: World, clock: Clock, receive: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    dossier = receive()
    first = slip_services.slip_render(dossier=dossier, form="01")
    files = StoredFile.objects.count()

    def never(*args: Any, **kwargs: Any) -> bytes:
        raise AssertionError("a stored slip must not be drawn again")

    monkeypatch.setattr(slip_services, "render_slip", never)
    again = slip_services.slip_render(dossier=dossier, form="01")
    by_task = render_slip.call(dossier.pk, "01", first.source_id)

    assert again.pk == first.pk
    assert again.stored_file_id == first.stored_file_id
    assert by_task == str(first.pk)
    assert StoredFile.objects.count() == files
    assert DossierSlip.objects.filter(dossier=dossier).count() == 1


def test_a_slip_without_its_event_or_of_an_unknown_form_is_refused_and_writes_nothing(
    world: World, clock: Clock, receive: Any
) -> None:
    dossier = receive()
    with pytest.raises(ValidationFailed) as no_refusal:
        slip_services.slip_render(dossier=dossier, form="03")
    assert no_refusal.value.code == "slip.no_source"
    with pytest.raises(ValidationFailed) as unknown:
        slip_services.slip_render(dossier=dossier, form="07")
    assert unknown.value.code == "slip.unknown_form"
    receipt_event = DossierEvent.objects.get(dossier=dossier, action="receive")
    with pytest.raises(ValidationFailed) as mismatch:
        slip_services.slip_render(dossier=dossier, form="04", source=receipt_event)
    assert mismatch.value.code == "slip.bad_source"
    assert not DossierSlip.objects.exists()
    assert not StoredFile.objects.exists()


# --- forms 02 and 01 again after the supplement -------------------------------------------------


def test_supplement_request_slip_and_the_new_receipt_after_resubmission(
    world: World, clock: Clock, receive: Any, tmp_path: Path
) -> None:
    dossier = _receive_tuyet(receive)
    clock.set(vn(2026, 2, 13, 10, 0))
    dossier = services.dossier_request_supplement(
        actor=world.counter.account,
        dossier=dossier,
        items=[{"document_code": "TP2", "name": "Bản vẽ thiết kế", "reason": "Thiếu chữ ký"}],
    )
    request = slip_services.slip_render(dossier=dossier, form="02")
    text = _stored_text(request, tmp_path)
    for expected in [
        "Cần Thơ, ngày 13 tháng 02 năm 2026",
        "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
        f"Mã hồ sơ: {CODE}",
        "Ngày 12 tháng 02 năm 2026, Trung tâm Phục vụ hành chính công đã tiếp nhận hồ sơ của: "
        "Nguyễn Thị Ánh Tuyết",
        "tạm dừng từ 10 giờ 00 phút, ngày 13 tháng 02 năm 2026",
        f"liên hệ {world.counter.full_name}",
        "NGƯỜI HƯỚNG DẪN",
    ]:
        assert expected in text, expected
    assert "1 Bản vẽ thiết kế 02 Thiếu chữ ký" in _stored_text(request, tmp_path, rows=True)

    clock.set(vn(2026, 2, 24, 9, 0))
    dossier = services.dossier_resubmit(actor=world.counter.account, dossier=dossier)
    receipt = slip_services.slip_render(dossier=dossier, form="01")
    assert receipt.source.action == "resubmit"
    text = _stored_text(receipt, tmp_path)
    assert "(Tiếp nhận lại sau khi bổ sung, hoàn thiện hồ sơ)" in text
    assert "5. Thời gian nhận hồ sơ: 09 giờ 00 phút, ngày 24 tháng 02 năm 2026." in text
    assert "17 giờ 00 phút, ngày 03 tháng 3 năm 2026." in text


# --- form 03 ------------------------------------------------------------------------------------


def test_refusal_slip_gives_the_reasons_and_the_legal_basis(
    world: World, clock: Clock, receive: Any, tmp_path: Path
) -> None:
    dossier = services.dossier_refuse(
        actor=world.counter.account,
        dossier=_receive_tuyet(receive),
        reasons=["Công trình thuộc thẩm quyền cấp xã", "Thiếu giấy tờ về quyền sử dụng đất"],
        legal_basis="Điều 103 Luật Xây dựng 2014",
    )
    text = _stored_text(slip_services.slip_render(dossier=dossier, form="03"), tmp_path)
    for expected in [
        "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
        "Trung tâm Phục vụ hành chính công tiếp nhận hồ sơ của: Nguyễn Thị Ánh Tuyết",
        "Căn cứ quy định tại Điều 103 Luật Xây dựng 2014, Trung tâm Phục vụ hành chính công "
        "từ chối tiếp nhận, giải quyết đối với hồ sơ này",
        "1. Công trình thuộc thẩm quyền cấp xã",
        "2. Thiếu giấy tờ về quyền sử dụng đất",
    ]:
        assert expected in text, expected


# --- form 04 ------------------------------------------------------------------------------------


def test_apology_slip_gives_the_old_and_the_new_appointment(
    world: World, clock: Clock, receive: Any, tmp_path: Path
) -> None:
    dossier = services.dossier_accept(actor=world.counter.account, dossier=_receive_tuyet(receive))
    clock.set(vn(2026, 2, 25, 16, 0))
    apology = services.dossier_apologize(
        actor=world.head.account,
        dossier=dossier,
        reason="Chờ ý kiến của Sở Nông nghiệp và Môi trường",
        new_appointment_at=vn(2026, 3, 5, 17, 0),
    )
    slip = slip_services.slip_render(dossier=dossier, form="04")
    assert slip.source.at == apology.issued_at
    text = _stored_text(slip, tmp_path)
    for expected in [
        "SỞ XÂY DỰNG",
        "Cần Thơ, ngày 25 tháng 02 năm 2026",
        "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
        "Kính gửi: Ông/Bà Nguyễn Thị Ánh Tuyết",
        f"mã hồ sơ: {CODE}",
        "Thời hẹn trả kết quả giải quyết hồ sơ: 17 giờ 00 phút, ngày 26 tháng 02 năm 2026.",
        "Lý do: Chờ ý kiến của Sở Nông nghiệp và Môi trường",
        "17 giờ 00 phút, ngày 05 tháng 3 năm 2026.",
        world.head.full_name,
    ]:
        assert expected in text, expected


# --- form 05 ------------------------------------------------------------------------------------


def _walk_to_return(world: World, clock: Clock, dossier: Dossier) -> Dossier:
    dossier = services.dossier_accept(actor=world.counter.account, dossier=dossier)
    steps = list(dossier.steps.order_by("order"))
    for step, officer, start, end in [
        (steps[1], world.reviewer, vn(2026, 2, 23, 8, 0), vn(2026, 2, 23, 15, 0)),
        (steps[2], world.env_officer, vn(2026, 2, 25, 9, 0), vn(2026, 2, 25, 16, 0)),
    ]:
        clock.set(start)
        services.dossier_start_step(actor=officer.account, dossier=dossier, step=step)
        dossier.refresh_from_db()
        clock.set(end)
        services.dossier_complete_step(actor=officer.account, dossier=dossier, step=step)
        dossier.refresh_from_db()
    clock.set(vn(2026, 2, 26, 10, 0))
    dossier = services.dossier_approve_result(actor=world.head.account, dossier=dossier)
    clock.set(vn(2026, 2, 26, 15, 0))
    return services.dossier_return_result(
        actor=world.counter.account, dossier=dossier, delivery="counter"
    )


def test_control_slip_shows_every_hand_over_with_its_result(
    world: World, clock: Clock, receive: Any, tmp_path: Path
) -> None:
    dossier = _walk_to_return(world, clock, _receive_tuyet(receive))
    slip = slip_services.slip_render(dossier=dossier, form="05")
    assert slip.source.action == "return_result"

    source = SlipInput(
        dossier=dossier, source=slip.source, form_set=form_set_for(date(2026, 2, 26))
    )
    rows = [
        (r.giver, r.taker, r.given_at, r.taken_at, r.result) for r in control.handover_rows(source)
    ]
    centre = "Trung tâm Phục vụ hành chính công"
    unit = world.construction_unit.name_vi
    assert rows == [
        ("Ông/Bà Nguyễn Thị Ánh Tuyết", f"{centre} – {world.counter.full_name}",
         "09:00 12/02/2026", "09:00 12/02/2026", ""),
        (f"{centre} – {world.counter.full_name}", f"{unit} – {world.reviewer.full_name}",
         "09:00 12/02/2026", "08:00 23/02/2026", "Trước hạn"),
        (f"{unit} – {world.reviewer.full_name}",
         f"Sở Nông nghiệp và Môi trường – {world.env_officer.full_name}",
         "15:00 23/02/2026", "09:00 25/02/2026", "Trước hạn"),
        (f"Sở Nông nghiệp và Môi trường – {world.env_officer.full_name}", "Sở Xây dựng",
         "16:00 25/02/2026", "", "Đúng hạn"),
        (f"Sở Xây dựng – {world.head.full_name}", centre, "10:00 26/02/2026", "", "Đúng hạn"),
        (f"{centre} – {world.counter.full_name}", "Ông/Bà Nguyễn Thị Ánh Tuyết",
         "15:00 26/02/2026", "15:00 26/02/2026", "Đúng hạn"),
    ]  # fmt: skip
    text = _stored_text(slip, tmp_path)
    for expected in [
        "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
        f"Mã hồ sơ: {CODE}",
        "Cơ quan giải quyết hồ sơ: Sở Xây dựng",
        "Cơ quan phối hợp giải quyết hồ sơ: Sở Nông nghiệp và Môi trường",
        "Trước hạn",
        "Đúng hạn",
        "Trả kết quả cho người nộp",
    ]:
        assert expected in text, expected


# --- after the commit ---------------------------------------------------------------------------


def test_render_on_commit_draws_the_slip_for_the_event_of_the_transition(
    world: World,
    clock: Clock,
    receive: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    dossier = receive()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        slip_services.slip_render_on_commit(dossier.pk, "01")
    assert not DossierSlip.objects.exists()  # nothing before the commit
    # A later event must not be mistaken for the one the transition wrote.
    clock.set(vn(2026, 2, 13, 10, 0))
    dossier = services.dossier_request_supplement(
        actor=world.counter.account, dossier=dossier, items=[{"name": "Đơn", "reason": "Sai"}]
    )
    clock.set(vn(2026, 2, 16, 9, 0))
    services.dossier_resubmit(actor=world.counter.account, dossier=dossier)
    for callback in callbacks:
        callback()
    slip = DossierSlip.objects.get(dossier=dossier)
    assert (slip.form, slip.source.action) == ("01", "receive")


# --- form 06 ------------------------------------------------------------------------------------


def test_dossier_log_exports_the_period_as_xlsx_and_pdf(
    world: World, clock: Clock, receive: Any, tmp_path: Path
) -> None:
    first = _receive_tuyet(receive)
    clock.set(vn(2026, 2, 13, 8, 0))
    second = receive()
    clock.set(vn(2026, 2, 23, 8, 0))
    receive()  # after the period

    data = slip_services.dossier_log_export(
        actor=world.counter.account,
        organization=world.centre,
        start=date(2026, 2, 12),
        end=date(2026, 2, 13),
        fmt="xlsx",
    )
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    assert sheet["A1"].value == "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG — SỔ THEO DÕI HỒ SƠ"
    assert sheet["A2"].value == "Từ ngày 12/02/2026 đến ngày 13/02/2026"
    assert [c.value for c in sheet[4]][:3] == ["STT", "Mã hồ sơ", "Tên thủ tục hành chính"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=5)]
    assert [(r[0], r[1], r[4], r[6], r[12]) for r in rows] == [
        (1, first.code, "Nguyễn Thị Ánh Tuyết", "Sở Xây dựng", "Chờ kiểm tra hồ sơ"),
        (2, second.code, "Lê Thị Dân", "Sở Xây dựng", "Chờ kiểm tra hồ sơ"),
    ]
    assert rows[0][7] == vn(2026, 2, 12, 9, 0).replace(tzinfo=None)
    assert rows[0][8] == vn(2026, 2, 26, 17, 0).replace(tzinfo=None)

    pdf = slip_services.dossier_log_export(
        actor=world.counter.account,
        organization=world.centre,
        start=date(2026, 2, 12),
        end=date(2026, 2, 13),
    )
    text = _pdf_text(pdf, tmp_path)
    for expected in [
        "SỔ THEO DÕI HỒ SƠ",
        "Từ ngày 12/02/2026 đến ngày 13/02/2026",
        first.code,
        second.code,
        "Nguyễn Thị Ánh Tuyết",
        "Tổng số hồ sơ: 2.",
    ]:
        assert expected in text, expected
    assert "260223" not in text


@pytest.mark.parametrize("who", ["outsider_counter", "reviewer", "applicant"])
def test_dossier_log_export_is_refused_to_staff_out_of_reach_and_to_applicants(
    world: World, clock: Clock, receive: Any, who: str
) -> None:
    receive()
    person = getattr(world, who)
    files = StoredFile.objects.count()
    with pytest.raises(PermissionDenied) as refused:
        slip_services.dossier_log_export(
            actor=person.account,
            organization=world.centre,
            start=date(2026, 2, 1),
            end=date(2026, 2, 28),
            fmt="xlsx",
        )
    assert refused.value.details == {"action": "dossiers.log.export"}
    assert StoredFile.objects.count() == files
    assert not DossierSlip.objects.exists()


def test_dossier_log_refuses_a_reversed_period(world: World, clock: Clock) -> None:
    with pytest.raises(ValidationFailed) as reversed_period:
        slip_services.dossier_log_export(
            actor=world.counter.account,
            organization=world.centre,
            start=date(2026, 2, 13),
            end=date(2026, 2, 12),
        )
    assert reversed_period.value.code == "dossier.log_bad_period"
