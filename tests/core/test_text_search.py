"""Accent folding and the full-text search interface, on SQLite (FTS5) and PostgreSQL (GIN)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from egov.core import search as search_module
from egov.core.models import SearchEntry, StoredFile
from egov.core.search import (
    search_index,
    search_query,
    search_rebuild,
    search_register,
    search_remove,
)
from egov.core.text import fold, search_text, search_tokens


# --- folding -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Cấp giấy phép xây dựng", "cap giay phep xay dung"),
        ("ĐĂNG KÝ KẾT HÔN", "dang ky ket hon"),
        ("Đường Nguyễn Huệ, phường Bến Nghé", "duong nguyen hue, phuong ben nghe"),
        ("  Thủ tục\n\thành   chính ", "thu tuc hanh chinh"),
        ("Nghị định 12/2024/NĐ-CP", "nghi dinh 12/2024/nd-cp"),
        (unicodedata.normalize("NFD", "Đắk Lắk Ưu tiên"), "dak lak uu tien"),
        ("ỹ ỵ ỷ ừ ữ ự ở ỡ ợ", "y y y u u u o o o"),
        ("", ""),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_fold_turns_every_vietnamese_letter_into_ascii() -> None:
    vowels = "aăâeêioôơuưy"
    tones = ["", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]
    letters = [
        unicodedata.normalize("NFC", base_letter + tone)
        for base_letter in vowels + vowels.upper()
        for tone in tones
    ] + ["đ", "Đ"]
    assert len(letters) == 2 * 12 * 6 + 2
    folded = fold("".join(letters))
    assert folded.isascii()
    assert (
        folded
        == "".join(unicodedata.normalize("NFD", letter)[0].lower() for letter in letters[:-2])
        + "dd"
    )


@given(st.text())
def test_fold_is_idempotent_and_leaves_no_combining_marks(text: str) -> None:
    once = fold(text)
    assert fold(once) == once
    assert not any(0x0300 <= ord(ch) < 0x0370 for ch in once)


def test_search_text_keeps_only_words() -> None:
    assert search_text("Quyết định số 12/2024/QĐ-UBND (sửa đổi)") == (
        "quyet dinh so 12 2024 qd ubnd sua doi"
    )
    assert search_tokens('"cap" OR * NEAR(phep) -xay') == ["cap", "or", "near", "phep", "xay"]


# --- search --------------------------------------------------------------------------------------
KIND = "test.file"


BODY: dict[str, str] = {}  # the "text" of each test object, by primary key


@pytest.fixture
def registered() -> Iterator[None]:
    search_register(
        KIND,
        StoredFile,
        text_of=lambda obj: BODY.get(str(obj.pk), ""),
        title_of=lambda obj: obj.original_name,
    )
    yield
    search_module._registry.pop(KIND, None)
    BODY.clear()


def make(title: str, text: str = "") -> StoredFile:
    obj = StoredFile.objects.create(
        file="2025/01/x.pdf",
        original_name=title,
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
    )
    BODY[str(obj.pk)] = text
    search_index(obj)
    return obj


def ids(results: list[tuple[str, float]]) -> list[str]:
    return [object_id for object_id, _score in results]


@pytest.mark.django_db
def test_accent_free_query_finds_the_vietnamese_title(registered: None) -> None:
    permit = make("Cấp giấy phép xây dựng nhà ở riêng lẻ")
    marriage = make("Đăng ký kết hôn")
    found = search_query(kind=KIND, query="cap phep xay dung")
    assert ids(found) == [str(permit.pk)]
    assert str(marriage.pk) not in ids(found)


@pytest.mark.django_db
def test_query_with_and_without_accents_give_the_same_results(registered: None) -> None:
    marriage = make("Đăng ký kết hôn")
    birth = make("Đăng ký khai sinh")
    make("Cấp đổi giấy phép lái xe")
    with_accents = search_query(kind=KIND, query="Đăng ký")
    without = search_query(kind=KIND, query="dang ky")
    upper = search_query(kind=KIND, query="ĐĂNG KÝ")
    assert set(ids(with_accents)) == {str(marriage.pk), str(birth.pk)}
    assert with_accents == without == upper


@pytest.mark.django_db
def test_last_word_matches_as_a_prefix(registered: None) -> None:
    permit = make("Cấp giấy phép xây dựng")
    assert ids(search_query(kind=KIND, query="giay phep xay du")) == [str(permit.pk)]
    assert search_query(kind=KIND, query="giay ph xay dung") == []


@pytest.mark.django_db
def test_ranking_puts_the_closest_match_first(registered: None) -> None:
    long_text = " ".join(["thủ tục hành chính lĩnh vực đất đai và môi trường"] * 8)
    scattered = make("Hướng dẫn chung", f"cấp {long_text} phép {long_text} xây {long_text} dựng")
    exact = make("Cấp giấy phép xây dựng")
    repeated = make("Cấp phép xây dựng", "giấy phép xây dựng, gia hạn giấy phép xây dựng")
    make("Đăng ký kết hôn")
    results = search_query(kind=KIND, query="phep xay dung")
    assert set(ids(results)) == {str(scattered.pk), str(exact.pk), str(repeated.pk)}
    assert ids(results)[-1] == str(scattered.pk)
    scores = [score for _id, score in results]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] > scores[-1]


@pytest.mark.django_db
def test_limit_bounds_the_results(registered: None) -> None:
    for number in range(12):
        make(f"Hồ sơ đăng ký số {number}")
    assert len(search_query(kind=KIND, query="ho so", limit=5)) == 5
    assert len(search_query(kind=KIND, query="ho so")) == 12
    assert search_query(kind=KIND, query="ho so", limit=0) == []


@pytest.mark.django_db
def test_removal_takes_the_object_out(registered: None) -> None:
    permit = make("Cấp giấy phép xây dựng")
    other = make("Cấp giấy phép kinh doanh")
    search_remove(permit)
    assert ids(search_query(kind=KIND, query="cap giay phep")) == [str(other.pk)]
    assert not SearchEntry.objects.filter(object_id=str(permit.pk)).exists()


@pytest.mark.django_db
def test_reindex_replaces_the_old_words(registered: None) -> None:
    obj = make("Cấp giấy phép xây dựng")
    obj.original_name = "Gia hạn giấy phép lao động"
    obj.save()
    search_index(obj)
    assert search_query(kind=KIND, query="xay dung") == []
    assert ids(search_query(kind=KIND, query="gia han lao dong")) == [str(obj.pk)]
    assert SearchEntry.objects.get(object_id=str(obj.pk)).title == "Gia hạn giấy phép lao động"
    assert SearchEntry.objects.filter(kind=KIND).count() == 1


@pytest.mark.django_db
def test_kinds_do_not_mix(registered: None) -> None:
    obj = make("Cấp giấy phép xây dựng")
    SearchEntry.objects.create(
        kind="other.kind", object_id="x1", title="Cấp giấy phép xây dựng", folded="cap giay phep"
    )
    assert ids(search_query(kind=KIND, query="cap giay phep")) == [str(obj.pk)]
    assert ids(search_query(kind="other.kind", query="cap giay phep")) == ["x1"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        '"cap',
        "cap' OR 1=1 --",
        "NEAR(cap phep)",
        "cap*",
        "*",
        "-phep",
        "cap & !phep | x",
        ":*",
        "()",
    ],
)
def test_query_syntax_of_the_database_cannot_be_injected(registered: None, query: str) -> None:
    permit = make("Cấp giấy phép xây dựng")
    found = ids(search_query(kind=KIND, query=query))
    assert found in ([], [str(permit.pk)])


@pytest.mark.django_db
def test_empty_query_returns_nothing(registered: None) -> None:
    make("Cấp giấy phép xây dựng")
    assert search_query(kind=KIND, query="  ,.;  ") == []


@pytest.mark.django_db
def test_rebuild_indexes_everything_and_drops_stale_entries(registered: None) -> None:
    first = StoredFile.objects.create(
        file="a", original_name="Cấp giấy phép xây dựng", size=1, sha256="0" * 64
    )
    second = StoredFile.objects.create(
        file="b", original_name="Đăng ký kết hôn", size=1, sha256="0" * 64
    )
    SearchEntry.objects.create(kind=KIND, object_id="vanished", title="x", folded="cap giay")
    assert search_rebuild(KIND) == 2
    assert set(SearchEntry.objects.filter(kind=KIND).values_list("object_id", flat=True)) == {
        str(first.pk),
        str(second.pk),
    }
    assert ids(search_query(kind=KIND, query="cap giay")) == [str(first.pk)]


def test_register_refuses_a_kind_taken_by_another_model(registered: None) -> None:
    with pytest.raises(ValueError, match="already registered"):
        search_register(KIND, SearchEntry, text_of=str, title_of=str)


@pytest.mark.django_db
def test_unregistered_model_cannot_be_indexed() -> None:
    entry = SearchEntry.objects.create(kind="k", object_id="1", title="t", folded="t")
    with pytest.raises(LookupError):
        search_index(entry)


@pytest.mark.sqlite
@pytest.mark.django_db
def test_sqlite_fts_index_stays_in_sync_with_the_entries(registered: None) -> None:
    objs = [make(f"Thủ tục số {n}") for n in range(5)]
    obj = objs[0]
    obj.original_name = "Đổi tên thủ tục"
    obj.save()
    search_index(obj)
    search_remove(objs[1])
    SearchEntry.objects.filter(object_id=str(objs[2].pk)).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_searchentry_fts(core_searchentry_fts, rank) "
            "VALUES ('integrity-check', 1)"
        )
        cursor.execute(
            "SELECT rowid FROM core_searchentry_fts WHERE core_searchentry_fts MATCH 'thu' "
            "ORDER BY rowid"
        )
        indexed = [row[0] for row in cursor.fetchall()]
    expected = list(
        SearchEntry.objects.filter(kind=KIND).order_by("id").values_list("id", flat=True)
    )
    assert indexed == expected
    assert len(indexed) == 3


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_query_uses_the_gin_index() -> None:
    with connection.cursor() as cursor:
        # Enough rows that a sequential scan stops being the cheapest plan.
        cursor.execute(
            "INSERT INTO core_searchentry (kind, object_id, title, folded, updated_at) "
            "SELECT %s, n::text, 't', 'thu tuc so ' || n || ' linh vuc dat dai', now() "
            "FROM generate_series(1, 30000) AS n",
            [KIND],
        )
    SearchEntry.objects.create(kind=KIND, object_id="x", title="t", folded="cap giay phep xay dung")
    words = "'cap' & 'phep':*"
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE core_searchentry")
        cursor.execute("EXPLAIN " + search_module._POSTGRES_QUERY, [words, KIND, words, 1000, 50])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "core_searchentry_vector_gin" in plan, plan
    assert ids(search_query(kind=KIND, query="cap phe")) == ["x"]
