"""The citizens' catalogue of procedures: search, filters, ranking, the procedure page."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from egov.core.files import file_store
from egov.core.models import StoredFile
from egov.portal import catalogue_selectors
from egov.portal.views import catalogue as catalogue_views
from egov.procedures import services
from egov.procedures.models import LIFE_EVENTS, Procedure

from .conftest import Tree
from .html import Page

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

BASE: dict[str, Any] = {
    "code_status": "unverified",
    "field": "XD",
    "level": "province",
    "effective_from": "2025-07-01",
    "competent_organization": {"code": "H51.10", "name": "Sở Tư pháp"},
    "executing_organization": {"code": "H51.20", "name": "Trung tâm Phục vụ hành chính công"},
    "channels": [
        {"channel": "counter", "time": 15, "unit": "working_days"},
        {"channel": "online", "time": 12, "unit": "working_days"},
    ],
    "result": "Văn bản trả lời",
    "service_level": "partial_online",
    "publish": True,
}


def _procedure(code: str, name: str, **extra: Any) -> dict[str, Any]:
    return {**copy.deepcopy(BASE), "code": code, "name": name, **extra}


@dataclass
class Catalogue:
    tree: Tree
    template: StoredFile


@pytest.fixture
def catalogue(tree: Tree) -> Catalogue:
    """Six published procedures and one that is not, written through the import service."""
    template = file_store(upload=ContentFile(PDF), name="mau-don-xay-dung.pdf")
    procedures = [
        _procedure(
            "XD-NHA",
            "Cấp giấy phép xây dựng nhà ở riêng lẻ",
            level="commune",
            life_events=["house"],
            anonymous_allowed=True,
            fee_stage="after",
            cases=[{"code": "MOI", "name": "Xây dựng mới"}, {"code": "SUA", "name": "Sửa chữa"}],
            documents=[
                {
                    "code": "TP1",
                    "name": "Đơn đề nghị cấp giấy phép xây dựng",
                    "originals": 1,
                    "template": "Mẫu số 01",
                    "template_file": str(template.pk),
                },
                {"code": "TP2", "name": "Bản vẽ thiết kế", "copies": 2, "case": "MOI"},
                {"code": "TP3", "name": "Ảnh chụp hiện trạng", "originals": 1, "case": "SUA"},
            ],
            fees=[
                {"kind": "charge", "name": "Lệ phí cấp giấy phép", "amount": 75000},
                {
                    "kind": "fee",
                    "name": "Phí thẩm định",
                    "rule": {"kind": "percent", "by": "gia_tri", "rate": "0.5", "max": 500000},
                },
            ],
            sequence=["Bước 1: Nộp hồ sơ.", "Bước 2: Nhận kết quả."],
            legal_bases=["Luật Xây dựng số 50/2014/QH13"],
            subjects=["Hộ gia đình", "Cá nhân"],
            conditions="Có quyền sử dụng đất hợp pháp.",
            result="Giấy phép xây dựng",
            steps=[{"name": "Thẩm định", "unit": "H51.10.01", "days": 10}],
            eform_schema={
                "type": "object",
                "properties": {"gia_tri": {"type": "number", "title": "Giá trị công trình"}},
            },
        ),
        _procedure(
            "XD-SUA",
            "Cấp giấy phép cải tạo, sửa chữa và xây dựng lại công trình",
            life_events=["house", "investment"],
            service_level="full_online",
        ),
        _procedure(
            "XD-GH",
            "Gia hạn thời hạn khởi công",
            result="Giấy phép xây dựng được gia hạn; giấy phép xây dựng điều chỉnh",
            life_events=["house"],
        ),
        _procedure(
            "HT-KS",
            "Đăng ký khai sinh",
            field="HT",
            level="commune",
            life_events=["family"],
            service_level="full_online",
            anonymous_allowed=True,
            competent_organization={"code": "H51.21002", "name": "UBND xã An Phú"},
            executing_organization={"code": None, "name": "Công chức tư pháp - hộ tịch"},
        ),
        _procedure(
            "CT-BS",
            "Cấp bản sao có chứng thực từ bản chính",
            field="HT",
            level="commune",
            service_level="none",
            channels=[{"channel": "counter", "time": 0, "unit": "within_day"}],
            life_events=["residence"],
        ),
        _procedure(
            "XD-TAM",
            "Cấp giấy phép xây dựng có thời hạn",
            publish=False,
            life_events=["house"],
        ),
    ]
    document = services.ImportDocument(
        fields=[
            {"code": "XD", "name": "Hoạt động xây dựng"},
            {"code": "HT", "name": "Hộ tịch"},
        ],
        procedures=procedures,
    )
    services.procedures_import(actor=None, document=document, as_system=True)
    return Catalogue(tree, template)


def _codes(page: Page) -> list[str]:
    return [
        values["href"].removeprefix("/thu-tuc/").rstrip("/")
        for values in page.find("a")
        if values.get("href", "").startswith("/thu-tuc/")
        and values["href"].count("/") == 3
        and "/su-kien/" not in values["href"]
    ]


def _get(client: Client, path: str, params: dict[str, str] | None = None) -> Page:
    response = client.get(path, params or {})
    assert response.status_code == 200, response.content[:500]
    return Page(response.content.decode())


# --- search --------------------------------------------------------------------------------------


def test_url_names() -> None:
    assert reverse("portal:procedures") == "/thu-tuc/"
    assert reverse("portal:procedure", args=["1.001193"]) == "/thu-tuc/1.001193/"
    assert reverse("portal:life_event", args=["gia-dinh"]) == "/thu-tuc/su-kien/gia-dinh/"
    assert (
        reverse("portal:procedure_template", args=["XD-NHA", "TP1"]) == "/thu-tuc/XD-NHA/mau/TP1/"
    )


def test_words_without_diacritics_find_the_procedure(client: Client, catalogue: Catalogue) -> None:
    page = _get(client, "/thu-tuc/", {"q": "cap phep xay dung nha o"})
    assert _codes(page) == ["XD-NHA"]
    assert "1 procedure" in page.text
    assert page.find("input", name="q")[0]["value"] == "cap phep xay dung nha o"


def test_words_with_diacritics_and_capitals_find_the_same(
    client: Client, catalogue: Catalogue
) -> None:
    page = _get(client, "/thu-tuc/", {"q": "Đăng KÝ khai sinh"})
    assert _codes(page) == ["HT-KS"]


def test_name_matches_come_before_mentions(client: Client, catalogue: Catalogue) -> None:
    # XD-NHA has the words in a row in its name, XD-SUA has them all but apart, XD-GH only in
    # its result (three times: the index alone would rank it first). XD-TAM is not published.
    page = _get(client, "/thu-tuc/", {"q": "giay phep xay dung"})
    assert _codes(page) == ["XD-NHA", "XD-SUA", "XD-GH"]


def test_the_code_typed_in_full_comes_first(client: Client, catalogue: Catalogue) -> None:
    page = _get(client, "/thu-tuc/", {"q": "HT-KS"})
    assert _codes(page)[0] == "HT-KS"


def test_without_words_every_published_procedure_is_listed_in_code_order(
    client: Client, catalogue: Catalogue
) -> None:
    page = _get(client, "/thu-tuc/")
    assert _codes(page) == ["CT-BS", "HT-KS", "XD-GH", "XD-NHA", "XD-SUA"]
    assert "5 procedures" in page.text


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"field": "HT"}, ["CT-BS", "HT-KS"]),
        ({"level": "commune"}, ["CT-BS", "HT-KS", "XD-NHA"]),
        ({"service_level": "full_online"}, ["HT-KS", "XD-SUA"]),
        ({"service_level": "none"}, ["CT-BS"]),
        ({"life_event": "house"}, ["XD-GH", "XD-NHA", "XD-SUA"]),
        ({"life_event": "investment"}, ["XD-SUA"]),
        ({"organization": "H51.21002"}, ["HT-KS"]),
        ({"organization": "H51.20"}, ["CT-BS", "XD-GH", "XD-NHA", "XD-SUA"]),
        ({"q": "giay phep", "service_level": "full_online"}, ["XD-SUA"]),
        ({"q": "giay phep", "level": "commune"}, ["XD-NHA"]),
        ({"field": "HT", "life_event": "house"}, []),
    ],
)
def test_filters_narrow_the_results(
    client: Client, catalogue: Catalogue, params: dict[str, str], expected: list[str]
) -> None:
    page = _get(client, "/thu-tuc/", params)
    assert _codes(page) == expected


def test_a_filter_in_use_can_be_removed_alone(client: Client, catalogue: Catalogue) -> None:
    page = _get(client, "/thu-tuc/", {"q": "giay phep", "level": "commune"})
    removers = [a["href"] for a in page.find("a") if a.get("href", "").startswith("/thu-tuc/?")]
    assert "/thu-tuc/?q=giay+phep" in removers
    assert page.find("select", name="level") != []
    assert page.find("option", value="commune", selected="") != []


def test_unpublished_procedures_are_never_shown(client: Client, catalogue: Catalogue) -> None:
    assert "XD-TAM" not in _codes(_get(client, "/thu-tuc/", {"q": "co thoi han"}))
    assert "XD-TAM" not in _codes(_get(client, "/thu-tuc/"))
    assert "XD-TAM" not in _codes(_get(client, "/thu-tuc/su-kien/nha-dat-xay-dung/"))
    assert client.get("/thu-tuc/XD-TAM/").status_code == 404
    procedure = Procedure.objects.get(code="XD-NHA")
    services.procedure_unpublish(actor=None, procedure=procedure, as_system=True)
    assert _codes(_get(client, "/thu-tuc/", {"q": "nha o rieng le"})) == []
    assert client.get("/thu-tuc/XD-NHA/").status_code == 404
    assert client.get("/thu-tuc/XD-NHA/mau/TP1/").status_code == 404


def test_a_revision_waiting_for_publication_does_not_change_the_page(
    client: Client, catalogue: Catalogue
) -> None:
    procedure = Procedure.objects.get(code="HT-KS")
    services.procedure_revise(
        actor=None,
        procedure=procedure,
        data=_procedure(
            "HT-KS",
            "Đăng ký khai sinh lưu động",
            field="HT",
            service_level="none",
            publish=False,
            competent_organization={"code": "H51.21002", "name": "UBND xã An Phú"},
            executing_organization={"code": None, "name": "Công chức tư pháp - hộ tịch"},
        ),
        as_system=True,
    )
    page = _get(client, "/thu-tuc/HT-KS/")
    assert page.find("h1", id="procedure-title") != []
    assert "Đăng ký khai sinh lưu động" not in page.text
    assert page.find("a", class_="btn btn--primary catalogue-apply") != []


def test_no_match_explains_what_to_try(client: Client, catalogue: Catalogue) -> None:
    page = _get(client, "/thu-tuc/", {"q": "zzzkhongco"})
    assert _codes(page) == []
    assert "0 procedures" in page.text
    assert "No published procedure matches your search." in page.text
    assert page.find("a", href="/co-quan/") != []


# --- pagination and bad parameters ---------------------------------------------------------------


def test_pages_have_previous_and_next_links_that_keep_the_search(
    client: Client, catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalogue_selectors, "PAGE_SIZE", 2)
    first = _get(client, "/thu-tuc/", {"field": "XD"})
    assert _codes(first) == ["XD-GH", "XD-NHA"]
    assert first.find("a", rel="next")[0]["href"] == "/thu-tuc/?field=XD&page=2"
    assert first.find("a", rel="prev") == []
    second = _get(client, "/thu-tuc/", {"field": "XD", "page": "2"})
    assert _codes(second) == ["XD-SUA"]
    assert second.find("a", rel="prev")[0]["href"] == "/thu-tuc/?field=XD"
    assert second.find("a", rel="next") == []
    assert second.find("ol", start="3") != []
    assert "page 2 of 2" in second.text


def test_a_page_past_the_last_one_is_a_clear_404(
    client: Client, catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalogue_selectors, "PAGE_SIZE", 2)
    response = client.get("/thu-tuc/", {"field": "XD", "page": "3"})
    assert response.status_code == 404
    page = Page(response.content.decode())
    assert "There is no page 3: the results have 2 pages." in page.text
    assert page.find("a", href="/thu-tuc/?field=XD") != []
    assert _codes(page) == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"page": "0"}, "The page number must be a whole number from 1: 0."),
        ({"page": "abc"}, "The page number must be a whole number from 1: abc."),
        ({"page": "-1"}, "The page number must be a whole number from 1: -1."),
        ({"page": "99999999999999999999"}, "The page number must be a whole number from 1"),
        ({"field": "ZZ"}, "There is no field ZZ."),
        ({"organization": "H51.99"}, "No published procedure belongs to the organisation H51.99."),
        ({"level": "galaxy"}, "galaxy is not a level of government."),
        ({"service_level": "4"}, "4 is not an online service level."),
        ({"life_event": "party"}, "party is not a life event."),
        ({"q": "x" * 201}, "The search words are too long: at most 200 characters."),
    ],
)
def test_bad_parameters_get_a_clear_message_not_an_error(
    client: Client, catalogue: Catalogue, params: dict[str, str], message: str
) -> None:
    response = client.get("/thu-tuc/", params)
    assert response.status_code == 400
    page = Page(response.content.decode())
    assert message in page.text
    assert page.find("div", role="alert", id="error-summary") != []
    assert _codes(page) == []


def test_the_search_page_answers_only_safe_methods(client: Client, catalogue: Catalogue) -> None:
    assert client.post("/thu-tuc/", {"q": "x"}).status_code == 405
    assert client.head("/thu-tuc/").status_code == 200


def test_search_page_query_count(
    client: Client, catalogue: Catalogue, django_assert_num_queries: Callable[..., Any]
) -> None:
    client.get("/thu-tuc/")  # the filter choices are cached until the catalogue changes
    with django_assert_num_queries(4):  # catalogue stamp, index, filter with names, page
        client.get("/thu-tuc/", {"q": "giay phep"})
    with django_assert_num_queries(3):  # catalogue stamp, count, page
        client.get("/thu-tuc/", {"field": "XD"})


def test_filter_choices_follow_a_publication(client: Client, catalogue: Catalogue) -> None:
    page = _get(client, "/thu-tuc/")
    assert page.find("option", value="DD") == []
    assert client.get("/thu-tuc/", {"field": "DD"}).status_code == 400
    document = services.ImportDocument(
        fields=[{"code": "DD", "name": "Đất đai"}],
        procedures=[_procedure("DD-01", "Đăng ký đất đai lần đầu", field="DD")],
    )
    services.procedures_import(actor=None, document=document, as_system=True)
    page = _get(client, "/thu-tuc/", {"field": "DD"})
    assert _codes(page) == ["DD-01"]
    assert page.find("option", value="DD", selected="") != []
    services.procedure_unpublish(
        actor=None, procedure=Procedure.objects.get(code="DD-01"), as_system=True
    )
    assert client.get("/thu-tuc/", {"field": "DD"}).status_code == 400


# --- life events ---------------------------------------------------------------------------------


def test_life_event_page_lists_its_procedures_and_searches_within(
    client: Client, catalogue: Catalogue
) -> None:
    page = _get(client, "/thu-tuc/su-kien/nha-dat-xay-dung/")
    assert page.find("h1") != []
    assert "Land, housing and construction" in page.text
    assert _codes(page) == ["XD-GH", "XD-NHA", "XD-SUA"]
    within = _get(client, "/thu-tuc/su-kien/nha-dat-xay-dung/", {"q": "nha o"})
    assert _codes(within) == ["XD-NHA"]
    assert within.find("select", name="life_event") == []  # the event is the page itself


def test_unknown_life_event_is_404(client: Client, catalogue: Catalogue) -> None:
    assert client.get("/thu-tuc/su-kien/tiec-cuoi/").status_code == 404


def test_every_life_event_has_a_page(client: Client, db: None) -> None:
    slugs = {catalogue_selectors.life_event_slug(key) for key in LIFE_EVENTS}
    assert len(slugs) == len(LIFE_EVENTS)
    for slug in slugs:
        assert client.get(f"/thu-tuc/su-kien/{slug}/").status_code == 200


def test_life_event_tiles_count_published_procedures(client: Client, catalogue: Catalogue) -> None:
    with translation.override("en"):
        page = Page(render_to_string("portal/catalogue/_life_events.html"))
    tiles = [a["href"] for a in page.find("a") if "/su-kien/" in a["href"]]
    assert tiles == [
        "/thu-tuc/su-kien/nha-dat-xay-dung/",  # 3 (not the unpublished XD-TAM)
        "/thu-tuc/su-kien/gia-dinh/",
        "/thu-tuc/su-kien/cu-tru-giay-to/",
        "/thu-tuc/su-kien/dau-tu/",
    ]
    assert "Land, housing and construction 3 procedures" in page.text
    assert "Birth, marriage and family 1 procedure" in page.text
    assert page.find("form", action="/thu-tuc/") != []


# --- one procedure -------------------------------------------------------------------------------


def test_procedure_page_shows_everything_the_catalogue_holds(
    client: Client, catalogue: Catalogue
) -> None:
    page = _get(client, "/thu-tuc/XD-NHA/")
    text = page.text
    assert page.find("h1", id="procedure-title") != []
    for expected in [
        "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        "Procedure code XD-NHA",
        "Hoạt động xây dựng",
        "Commune",
        "Bước 1: Nộp hồ sơ.",
        "Bước 2: Nhận kết quả.",
        "For every case",
        "Case: Xây dựng mới",
        "Case: Sửa chữa",
        "Đơn đề nghị cấp giấy phép xây dựng",
        "1 original",
        "Bản vẽ thiết kế",
        "2 copies",
        "At the counter 15 working days",
        "Online 12 working days",
        "Lệ phí cấp giấy phép",
        "75,000 VND",
        "0.5% of Giá trị công trình (at most 500,000 VND)",
        "Online applicants pay when the result is ready.",
        "Giấy phép xây dựng",
        "Hộ gia đình",
        "Có quyền sử dụng đất hợp pháp.",
        "Luật Xây dựng số 50/2014/QH13",
        "You can apply without an account",
        "Thẩm định",
    ]:
        assert expected in text, expected
    assert page.find("a", href="/co-quan/H51.10/") != []  # competent
    assert page.find("a", href="/co-quan/H51.20/") != []  # executing
    assert page.find("a", href="/thu-tuc/su-kien/nha-dat-xay-dung/") != []
    assert page.find("a", href="/thu-tuc/XD-NHA/mau/TP1/") != []
    assert page.inline_scripts == 0
    assert page.style_elements == 0


def test_procedure_page_in_vietnamese_by_default(catalogue: Catalogue) -> None:
    response = Client().get("/thu-tuc/XD-NHA/")
    assert response.status_code == 200
    page = Page(response.content.decode())
    assert page.find("html", lang="vi") != []
    assert "75.000" in page.text


def test_template_form_downloads(client: Client, catalogue: Catalogue) -> None:
    response = client.get("/thu-tuc/XD-NHA/mau/TP1/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf"
    assert "mau-don-xay-dung.pdf" in response["Content-Disposition"]
    assert client.get("/thu-tuc/XD-NHA/mau/TP2/").status_code == 404  # no template file
    assert client.get("/thu-tuc/XD-SUA/mau/TP1/").status_code == 404  # another procedure


def test_unknown_code_is_404_with_a_way_back(client: Client, catalogue: Catalogue) -> None:
    response = client.get("/thu-tuc/KHONG-CO/")
    assert response.status_code == 404
    page = Page(response.content.decode())
    assert "No published procedure has the code KHONG-CO." in page.text
    assert page.find("a", href="/thu-tuc/") != []
    assert client.get("/thu-tuc/" + "X" * 300 + "/").status_code == 404


@pytest.mark.parametrize(
    ("code", "online"),
    [("XD-NHA", True), ("XD-SUA", True), ("HT-KS", True), ("CT-BS", False)],
)
def test_apply_online_button_only_for_online_procedures(
    client: Client, catalogue: Catalogue, code: str, online: bool
) -> None:
    page = _get(client, f"/thu-tuc/{code}/")
    buttons = page.find("a", class_="btn btn--primary catalogue-apply")
    try:
        expected = reverse("portal:apply_start", args=[code])
    except NoReverseMatch:
        expected = f"/nop-ho-so/{code}/"
    assert [b["href"] for b in buttons] == ([expected, expected] if online else [])
    if not online:
        assert "cannot be applied for online" in page.text


def test_apply_url_falls_back_to_the_documented_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(*args: Any, **kwargs: Any) -> str:
        raise NoReverseMatch("no apply page yet")

    monkeypatch.setattr(catalogue_views, "reverse", missing)
    assert catalogue_views.apply_url("1.001193") == "/nop-ho-so/1.001193/"


def test_account_needed_is_said_when_anonymous_is_not_allowed(
    client: Client, catalogue: Catalogue
) -> None:
    page = _get(client, "/thu-tuc/XD-SUA/")
    assert "You sign in with a citizen or business account to apply." in page.text
    assert "Online applicants pay when they submit." not in page.text  # no fees at all
    assert "No fee or charge." in page.text


def test_procedure_page_query_count(
    client: Client, catalogue: Catalogue, django_assert_num_queries: Callable[..., Any]
) -> None:
    with django_assert_num_queries(5):  # version with joins, channels, documents, fees, steps
        client.get("/thu-tuc/XD-NHA/")


def test_pages_are_small(client: Client, catalogue: Catalogue) -> None:
    assert len(client.get("/thu-tuc/").content) < 30_000
    assert len(client.get("/thu-tuc/XD-NHA/").content) < 30_000
