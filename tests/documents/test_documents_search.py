"""Full-text search over documents: accents optional, metadata and text, facets, pages, caps."""

from __future__ import annotations

from datetime import date

from django.test import Client
from django.urls import reverse
from documents_support import DocWorld

from egov.core.models import SearchEntry
from egov.core.search import search_rebuild
from egov.documents.models import Direction, Document, Secrecy, State
from egov.documents.search import document_search_rebuild, search_index
from egov.documents.selectors.search import (
    DocumentSearchFilters,
    document_search,
    document_snippet,
)


def doc(world: DocWorld, subject: str, **extra: object) -> Document:
    values: dict[str, object] = {
        "organization": world.committee,
        "direction": Direction.INCOMING,
        "state": State.REGISTERED,
        "channel": Document.Channel.PAPER,
        "document_type": world.doc_type("ke-hoach"),
        "issuer_name": "Sở Xây dựng",
        "issued_on": date(2026, 2, 10),
        "created_by": world.clerk.account,
        "subject": subject,
    }
    values.update(extra)
    if isinstance(values["document_type"], str):
        values["document_type"] = world.doc_type(str(values["document_type"]))
    document = Document.objects.create(**values)
    search_index(document)
    return document


def ids(result: object) -> list[int]:
    return [d.pk for d in result.documents]  # type: ignore[attr-defined]


def test_accent_free_words_find_metadata_and_text(docworld: DocWorld) -> None:
    plan = doc(
        docworld, "Kế hoạch chuyển đổi số năm 2026", code_number="12", code_notation="KH-SXD"
    )
    text = doc(
        docworld,
        "Báo cáo quý I",
        document_type="bao-cao",
        extracted_text="Tình hình chuyển đổi số ở các xã miền núi",
        signer_name="Trần Văn Bình",
    )
    other = doc(docworld, "Quyết định khen thưởng", document_type="quyet-dinh")
    reader = docworld.culture_officer.account

    assert set(ids(document_search(reader, "chuyen doi so"))) == {plan.pk, text.pk}
    assert ids(document_search(reader, "MIEN NUI")) == [text.pk]
    assert ids(document_search(reader, "tran van binh")) == [text.pk]
    assert ids(document_search(reader, "12/KH-SXD")) == [plan.pk]
    assert ids(document_search(reader, "khen thuo")) == [other.pk]  # last word as prefix
    assert ids(document_search(reader, "bao cao")) == [text.pk]  # the type's name
    assert ids(document_search(reader, "khong co dau")) == []


def test_search_never_returns_what_the_actor_may_not_read(docworld: DocWorld) -> None:
    open_doc = doc(docworld, "Kế hoạch phòng chống thiên tai")
    secret = doc(docworld, "Kế hoạch phòng chống thiên tai mật", secrecy=Secrecy.SECRET)
    foreign = doc(
        docworld, "Kế hoạch phòng chống thiên tai của sở", organization=docworld.department
    )
    result = document_search(docworld.economy_officer.account, "phong chong thien tai")
    assert ids(result) == [open_doc.pk]
    assert result.total == 1
    assert sum(v.count for v in result.facets["state"]) == 1
    dept = document_search(docworld.dept_officer.account, "phong chong thien tai")
    assert ids(dept) == [foreign.pk]
    assert secret.pk not in ids(document_search(docworld.head.account, "thien tai"))


def test_facets_count_and_filter(docworld: DocWorld) -> None:
    a = doc(docworld, "Kế hoạch số hóa hồ sơ", issued_on=date(2025, 5, 1))
    b = doc(docworld, "Báo cáo số hóa hồ sơ", document_type="bao-cao", issuer_name="Sở Nội vụ")
    c = doc(
        docworld,
        "Kế hoạch số hóa hồ sơ lưu trữ",
        direction=Direction.OUTGOING,
        state=State.ISSUED,
        issuer_name="Ủy ban nhân dân tỉnh",
    )
    reader = docworld.clerk.account
    result = document_search(reader, "so hoa ho so")
    assert set(ids(result)) == {a.pk, b.pk, c.pk}
    facets = {k: [(v.value, v.count) for v in vs] for k, vs in result.facets.items()}
    assert facets["document_type"] == [("ke-hoach", 2), ("bao-cao", 1)]
    assert facets["year"] == [("2026", 2), ("2025", 1)]
    assert facets["direction"] == [("incoming", 2), ("outgoing", 1)]
    assert facets["state"] == [("registered", 2), ("issued", 1)]
    assert facets["issuer"] == [("Sở Nội vụ", 1), ("Sở Xây dựng", 1), ("Ủy ban nhân dân tỉnh", 1)]

    def only(**f: object) -> set[int]:
        return set(ids(document_search(reader, "so hoa", filters=DocumentSearchFilters(**f))))

    assert only(document_type="bao-cao") == {b.pk}
    assert only(year=2025) == {a.pk}
    assert only(direction="outgoing") == {c.pk}
    assert only(state="registered", issuer="Sở Xây dựng") == {a.pk}


def test_pages_and_the_cap(docworld: DocWorld, settings) -> None:
    made = [doc(docworld, f"Thông báo lịch họp tuần {n}") for n in range(7)]
    reader = docworld.clerk.account
    first = document_search(reader, "lich hop", page_size=3)
    second = document_search(reader, "lich hop", page=3, page_size=3)
    assert (first.total, first.pages, first.capped) == (7, 3, False)
    assert len(first.documents) == 3
    assert len(second.documents) == 1
    everything = ids(first) + ids(document_search(reader, "lich hop", page=2, page_size=3))
    assert sorted(everything + ids(second)) == sorted(d.pk for d in made)

    settings.EGOV_SEARCH_RANK_CAP = 4
    capped = document_search(reader, "lich hop", page_size=2)
    assert (capped.total, capped.capped) == (4, True)
    # Visibility is applied before the cap: seven matches the department's officer may not
    # read do not push its own document out of the ranked set.
    theirs = doc(docworld, "Thông báo lịch họp của sở", organization=docworld.department)
    found = document_search(docworld.dept_officer.account, "lich hop", page_size=2)
    assert (ids(found), found.total, found.capped) == ([theirs.pk], 1, False)


def test_without_words_the_filters_list_newest_first(docworld: DocWorld) -> None:
    old = doc(docworld, "Một")
    new = doc(docworld, "Hai")
    result = document_search(docworld.clerk.account, "", filters=DocumentSearchFilters(year=2026))
    assert ids(result) == [new.pk, old.pk]


def test_snippet_is_plain_text_around_the_words(docworld: DocWorld) -> None:
    words = " ".join(f"từ{n}" for n in range(60))
    document = doc(
        docworld, "Văn bản", extracted_text=f"{words} phòng chống lụt bão <b>x</b> kết thúc"
    )
    snippet = document_snippet(document, "lut bao")
    assert snippet.startswith("… từ54 ")
    assert "phòng chống lụt bão <b>x</b> kết thúc" in snippet
    assert document_snippet(doc(docworld, "Trống"), "x") == ""


def test_rebuild_indexes_every_document_and_drops_vanished_ones(docworld: DocWorld) -> None:
    kept = Document.objects.create(
        organization=docworld.committee,
        direction=Direction.INCOMING,
        state=State.REGISTERED,
        channel=Document.Channel.PAPER,
        document_type=docworld.doc_type("ke-hoach"),
        issuer_name="Sở Tài chính",
        subject="Dự toán ngân sách",
        created_by=docworld.clerk.account,
    )
    SearchEntry.objects.create(kind="document", object_id="999999", title="x", folded="x")
    assert document_search_rebuild() == 1
    assert set(SearchEntry.objects.filter(kind="document").values_list("object_id", flat=True)) == {
        str(kept.pk)
    }
    assert ids(document_search(docworld.clerk.account, "du toan ngan sach")) == [kept.pk]
    assert search_rebuild("document") == 1  # core's rebuild works for the kind too


def test_search_page_shows_results_facets_and_pages(docworld: DocWorld, client: Client) -> None:
    for n in range(25):
        doc(docworld, f"Kế hoạch kiểm tra công vụ đợt {n}")
    secret = doc(docworld, "Kế hoạch kiểm tra công vụ mật", secrecy=Secrecy.SECRET)
    client.force_login(docworld.economy_officer.account)
    url = reverse("documents:reading_search")
    page = client.get(url, {"q": "kiem tra cong vu"})
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count("data-document=") == 20
    assert f'data-document="{secret.pk}"' not in html
    assert "25 documents match." in html
    assert 'data-facet="document_type"' in html
    assert "?q=kiem+tra+cong+vu&amp;page=2" in html
    second = client.get(url, {"q": "kiem tra cong vu", "page": 2}).content.decode()
    assert second.count("data-document=") == 5
    empty = client.get(url, {"q": "khong tim thay gi"}).content.decode()
    assert 'data-testid="search-empty"' in empty
    assert client.get(url).status_code == 200


def test_search_page_needs_sign_in(client: Client, db: None) -> None:
    response = client.get(reverse("documents:reading_search"), {"q": "x"})
    assert response.status_code == 302


def test_subtree_roles_and_superusers_find_documents_below(docworld: DocWorld) -> None:
    """The index's reach tokens follow the rule: a subtree role reaches organisations below,
    an organisation role does not; a superuser finds everything."""
    from directory_factories import OfficerFactory

    from egov.directory.models import Account, Role, Scope

    below = doc(docworld, "Kế hoạch tuyển dụng công chức", organization=docworld.department)
    province = OfficerFactory(unit=docworld.root, roles=[(Role.HEAD, Scope.SUBTREE)])
    local = OfficerFactory(unit=docworld.root, roles=[(Role.HEAD, Scope.ORGANIZATION)])
    root = Account.objects.create_superuser("root-search", password="x")  # noqa: S106
    assert ids(document_search(province.account, "tuyen dung")) == [below.pk]
    assert ids(document_search(local.account, "tuyen dung")) == []
    assert ids(document_search(root, "tuyen dung")) == [below.pk]
    entry = SearchEntry.objects.get(kind="document", object_id=str(below.pk))
    assert f"qqorg{docworld.department.pk}" in entry.folded.split()
    assert f"qqsub{docworld.root.pk}" in entry.folded.split()
    secret = doc(docworld, "Tuyển dụng mật", secrecy=Secrecy.SECRET)
    assert SearchEntry.objects.get(object_id=str(secret.pk)).folded.endswith(" qqconf")
