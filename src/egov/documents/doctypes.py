"""The code list of administrative document types (Decree 30/2020 Annex III).

Kept as data so that the migration that loads it and `document_types_ensure` (for a database
emptied by a test flush or restored without data) share one list.
"""

from __future__ import annotations

from typing import Any

# code, Vietnamese name, English name, abbreviation, copy form
TYPES = [
    ("nghi-quyet", "Nghị quyết", "Resolution", "NQ", False),
    ("quyet-dinh", "Quyết định", "Decision", "QĐ", False),
    ("chi-thi", "Chỉ thị", "Directive", "CT", False),
    ("quy-che", "Quy chế", "Regulation (statute)", "QC", False),
    ("quy-dinh", "Quy định", "Regulation", "QyĐ", False),
    ("thong-cao", "Thông cáo", "Communiqué", "TC", False),
    ("thong-bao", "Thông báo", "Notice", "TB", False),
    ("huong-dan", "Hướng dẫn", "Guidance", "HD", False),
    ("chuong-trinh", "Chương trình", "Programme", "CTr", False),
    ("ke-hoach", "Kế hoạch", "Plan", "KH", False),
    ("phuong-an", "Phương án", "Scheme", "PA", False),
    ("de-an", "Đề án", "Proposal", "ĐA", False),
    ("du-an", "Dự án", "Project", "DA", False),
    ("bao-cao", "Báo cáo", "Report", "BC", False),
    ("bien-ban", "Biên bản", "Minutes", "BB", False),
    ("to-trinh", "Tờ trình", "Submission", "TTr", False),
    ("hop-dong", "Hợp đồng", "Contract", "HĐ", False),
    ("cong-van", "Công văn", "Official letter", "", False),
    ("cong-dien", "Công điện", "Official telegram", "CĐ", False),
    ("ban-ghi-nho", "Bản ghi nhớ", "Memorandum of understanding", "BGN", False),
    ("ban-thoa-thuan", "Bản thỏa thuận", "Agreement", "BTT", False),
    ("giay-uy-quyen", "Giấy ủy quyền", "Letter of authorisation", "GUQ", False),
    ("giay-moi", "Giấy mời", "Invitation", "GM", False),
    ("giay-gioi-thieu", "Giấy giới thiệu", "Letter of introduction", "GGT", False),
    ("giay-nghi-phep", "Giấy nghỉ phép", "Leave permit", "GNP", False),
    ("phieu-gui", "Phiếu gửi", "Dispatch slip", "PG", False),
    ("phieu-chuyen", "Phiếu chuyển", "Transfer slip", "PC", False),
    ("phieu-bao", "Phiếu báo", "Notification slip", "PB", False),
    ("thu-cong", "Thư công", "Official letter (thư công)", "", False),
    ("sao-y", "Bản sao y", "Certified copy", "SY", True),
    ("sao-luc", "Bản sao lục", "Transcribed copy", "SL", True),
    ("trich-sao", "Bản trích sao", "Extract copy", "TrS", True),
]


def document_types_ensure(model: Any = None) -> int:
    """Create or update the types of the list; returns how many rows were created."""
    if model is None:
        from egov.documents.models import DocumentType

        model = DocumentType
    created = 0
    for order, (code, name_vi, name_en, abbr, is_copy) in enumerate(TYPES, start=1):
        _row, made = model.objects.update_or_create(
            code=code,
            defaults={
                "name_vi": name_vi,
                "name_en": name_en,
                "abbreviation": abbr,
                "is_copy": is_copy,
                "ordering": order * 10,
            },
        )
        created += int(made)
    return created
