"""Screens for reading documents: search, file download, register export (all officers).

- `reading_search` (/lam-viec/van-ban/tra-cuu/): one search box (accents optional), facets
  with counts (type, issuer, year, state, direction) and plain snippets, only over the
  documents the officer may read (`selectors.search.document_search`).
- `reading_file` (/lam-viec/van-ban/<id>/tep/<file_id>/): the bytes of one file; a document
  or file the officer may not read is 404 (its existence is not revealed); each download of a
  confidential document's file is audited (`services.text.document_file_read`).
- `reading_registers` and `reading_register_export` (/lam-viec/van-ban/so-van-ban/…): the
  incoming, outgoing and follow-up registers for any period as xlsx or PDF.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from egov.core.errors import NotFound
from egov.core.files import file_open
from egov.directory import policy
from egov.directory import selectors as directory
from egov.documents import exports
from egov.documents.models import Direction, Document, Register, State
from egov.documents.selectors.search import (
    DocumentSearchFilters,
    document_search,
    document_snippet,
)
from egov.documents.selectors.visibility import documents_visible_to
from egov.documents.services.text import document_file_read, register_export_record

PAGE_SIZE = 20
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"
# The page of a document, by direction (the screens of the incoming and outgoing helpers).
_DOCUMENT_PAGES = {
    Direction.INCOMING: "documents:incoming_document",
    Direction.OUTGOING: "documents:outgoing_document",
}


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Words to find"), max_length=200, required=False)
    document_type = forms.CharField(max_length=30, required=False)
    issuer = forms.CharField(max_length=200, required=False)
    year = forms.IntegerField(min_value=1945, max_value=2100, required=False)
    state = forms.ChoiceField(choices=[("", "")] + list(State.choices), required=False)
    direction = forms.ChoiceField(choices=[("", "")] + list(Direction.choices), required=False)
    page = forms.IntegerField(min_value=1, max_value=1000, required=False)


def _document_url(document: Document) -> str:
    name = _DOCUMENT_PAGES.get(Direction(document.direction))
    try:
        return reverse(name, kwargs={"pk": document.pk}) if name else ""
    except NoReverseMatch:
        return ""


def _facet_links(
    base: dict[str, str], facets: dict[str, Any], active: dict[str, str]
) -> list[dict[str, Any]]:
    names = {
        "document_type": _("Type"),
        "issuer": _("Issuer"),
        "year": _("Year"),
        "state": _("State"),
        "direction": _("Incoming or outgoing"),
    }
    out = []
    for key, values in facets.items():
        if not values:
            continue
        items = []
        for value in values:
            chosen = active.get(key) == value.value
            params = {k: v for k, v in base.items() if k != "page"}
            if chosen:
                params.pop(key, None)
            else:
                params[key] = value.value
            items.append(
                {
                    "label": value.label,
                    "count": value.count,
                    "chosen": chosen,
                    "href": "?" + urlencode(params),
                }
            )
        out.append({"key": key, "name": names[key], "items": items})
    return out


@login_required
@require_GET
def search_view(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    query = data.get("q") or ""
    filters = DocumentSearchFilters(
        document_type=data.get("document_type") or "",
        issuer=data.get("issuer") or "",
        year=data.get("year"),
        state=data.get("state") or "",
        direction=data.get("direction") or "",
    )
    searched = bool(query.strip()) or bool(filters.active())
    context: dict[str, Any] = {"form": form, "query": query, "searched": searched}
    if searched:
        result = document_search(
            request.user, query, filters=filters, page=data.get("page") or 1, page_size=PAGE_SIZE
        )
        base = {"q": query, **filters.active()}
        base = {k: v for k, v in base.items() if v}
        context.update(
            {
                "result": result,
                "hits": [
                    {
                        "document": d,
                        "url": _document_url(d),
                        "snippet": document_snippet(d, query),
                    }
                    for d in result.documents
                ],
                "facets": _facet_links(base, result.facets, filters.active()),
                "pager_query": urlencode(base),
                "first": (result.page - 1) * result.page_size + 1,
                "previous": result.page - 1 if result.page > 1 else None,
                "next": result.page + 1 if result.page < result.pages else None,
            }
        )
    return render(request, "documents/reading/search.html", context)


@login_required
@require_GET
def file_view(request: HttpRequest, document_id: int, file_id: int) -> FileResponse:
    """One file of a document the officer may read; 404 otherwise (even for existing ids)."""
    document = documents_visible_to(request.user).filter(pk=document_id).first()
    if document is None:
        raise Http404
    try:
        item = document_file_read(actor=request.user, document=document, file_id=file_id)
    except NotFound:
        raise Http404 from None
    return FileResponse(
        file_open(item.file),
        as_attachment=True,
        filename=item.file.original_name,
        content_type=item.file.content_type,
    )


class ExportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Register"),
        choices=[
            ("incoming", _("Incoming register")),
            ("follow_up", _("Incoming follow-up register")),
            ("outgoing", _("Outgoing register")),
        ],
    )
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    format = forms.ChoiceField(
        label=_("Format"), choices=[("xlsx", "Excel (xlsx)"), ("pdf", "PDF")]
    )

    def __init__(self, *args: Any, register: Register, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.register = register
        kind: Any = self.fields["kind"]
        if register.direction == Direction.OUTGOING:
            kind.choices = [c for c in kind.choices if c[0] == "outgoing"]
        else:
            kind.choices = [c for c in kind.choices if c[0] != "outgoing"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The period ends before it starts."))
        return data


def _exportable(request: HttpRequest) -> list[Register]:
    officer = directory.officer_for(request.user)
    if officer is None and not request.user.is_superuser:
        return []
    registers = Register.objects.select_related("organization").filter(is_active=True)
    if officer is not None and not request.user.is_superuser:
        home = directory.officer_organization(officer)
        registers = registers.filter(organization__path__startswith=home.path)
    return [r for r in registers if policy.can(request.user, "document.register_export", r)]


@login_required
@require_GET
def registers_view(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    start = date(today.year, 1, 1)
    items = [
        {
            "register": r,
            "form": ExportForm(
                register=r,
                initial={"start": start, "end": today, "format": "xlsx"},
                auto_id=f"id_{r.pk}_%s",
            ),
        }
        for r in _exportable(request)
    ]
    return render(request, "documents/reading/registers.html", {"items": items})


@login_required
@require_GET
def register_export_view(request: HttpRequest, register_id: int) -> HttpResponse:
    register = Register.objects.select_related("organization").filter(pk=register_id).first()
    if register is None or not policy.can(request.user, "document.register_export", register):
        raise Http404
    form = ExportForm(request.GET, register=register, auto_id=f"id_{register.pk}_%s")
    if not form.is_valid():
        return render(
            request,
            "documents/reading/registers.html",
            {"items": [{"register": register, "form": form}]},
            status=422,
        )
    data = form.cleaned_data
    export = exports.register_export(
        register=register, kind=data["kind"], start=data["start"], end=data["end"]
    )
    register_export_record(
        actor=request.user,
        register=register,
        kind=export.kind,
        start=export.start,
        end=export.end,
        rows=len(export.rows),
    )
    if data["format"] == "pdf":
        body, content_type, name = exports.render_pdf(export), PDF_TYPE, export.filename("pdf")
    else:
        body, content_type, name = exports.render_xlsx(export), XLSX_TYPE, export.filename("xlsx")
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
