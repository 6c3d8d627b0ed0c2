"""Track and receive (issue #5 §4–5): the applicant's own dossiers, the e-result download and
the satisfaction rating.

Two ways to prove being the applicant: signed in with the account that applied (or submitted)
— `/cong-dan/ho-so/…` — or through the public status page `/tra-cuu-ho-so/` (dossiers app),
which after the second factor hands out short-lived signed links (`/tra-cuu-ho-so/ket-qua/…`,
`/tra-cuu-ho-so/danh-gia/…`). Anyone else gets 404 (or 410 for a link that has expired), so a
dossier code never leaks. Views parse, call one selector or service, render.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from egov.core.errors import EgovError, NotFound, PermissionDenied
from egov.core.files import file_open
from egov.dossiers import (
    citizen_selectors,
    citizen_services,
    online_services,
    rating_questions,
    slip_services,
)
from egov.dossiers.models import DECIDED_STATES, Dossier, SlipForm, State

CITIZEN_LOGIN = "directory:applicant_login"


class RatingForm(forms.Form):
    """The satisfaction questions of `rating_questions`, one group of choices each."""

    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=rating_questions.COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": rating_questions.COMMENT_MAX}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        comment = self.fields.pop("comment")
        comment.help_text = gettext(
            "At most %(max)s characters. Do not write personal data here."
        ) % {"max": rating_questions.COMMENT_MAX}
        for question in rating_questions.question_set():
            self.fields[question.key] = forms.ChoiceField(
                label=question.text,
                choices=question.choices,
                required=question.required,
                widget=forms.RadioSelect,
            )
        self.fields["comment"] = comment


def _user(request: HttpRequest) -> Any:
    return request.user if request.user.is_authenticated else None


def _download(stored: Any) -> FileResponse:
    response = FileResponse(
        file_open(stored),
        as_attachment=True,
        filename=stored.original_name,
        content_type=stored.content_type or "application/pdf",
    )
    response["Cache-Control"] = "no-store"
    return response


def _message(request: HttpRequest, title: str, text: str, status: int) -> HttpResponse:
    return render(
        request,
        "portal/track/message.html",
        {"title": title, "text": text},
        status=status,
    )


def _expired(request: HttpRequest) -> HttpResponse:
    return _message(
        request,
        gettext("This link is no longer valid"),
        gettext(
            "For your safety the links of the status page work only for a short time. Look "
            "your dossier up again with its code and your phone or ID number."
        ),
        410,
    )


def _rate(
    request: HttpRequest, dossier: Dossier, *, proof: str, done_url: str, action: str
) -> HttpResponse:
    """The rating form (GET) and its submission (POST), for either route."""
    user = _user(request)
    form = RatingForm(request.POST or None)
    status = 200
    context: dict[str, Any] = {"dossier": dossier, "form": form, "action": action}
    rating = citizen_selectors.rating_of(dossier)
    if rating is not None or dossier.state not in DECIDED_STATES:
        context["closed"] = (
            gettext("Thank you: this dossier has already been rated.")
            if rating is not None
            else gettext("The dossier can be rated once its result is decided.")
        )
        return render(request, "portal/track/rate.html", context, status=409)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                citizen_services.rating_submit(
                    dossier=dossier,
                    answers={k: v for k, v in data.items() if k != "comment"},
                    comment=data.get("comment", ""),
                    actor=user,
                    proof=proof,
                )
            except EgovError as exc:
                if exc.field and exc.field in form.fields:
                    form.add_error(exc.field, str(exc.message))
                else:
                    form.add_error(None, str(exc.message))
                status = exc.status
            else:
                return render(
                    request, "portal/track/rated.html", {"dossier": dossier, "back": done_url}
                )
        else:
            status = 422
    return render(request, "portal/track/rate.html", context, status=status)


# --- through the public status page (signed links) -----------------------------------------------


@never_cache
@require_GET
def track_result(request: HttpRequest, token: str) -> HttpResponseBase:
    """The e-result through the status page's short-lived link; audited."""
    target = citizen_selectors.result_link_target(token)
    if target is None:
        return _expired(request)
    dossier = citizen_selectors.dossier_by_pk(target[0])
    if dossier is None or str(dossier.result_file_id) != target[1]:
        return _expired(request)
    try:
        stored = citizen_services.result_download_record(
            dossier=dossier, actor=_user(request), proof_ok=True, via="status_link"
        )
    except (NotFound, PermissionDenied):
        return _expired(request)
    except EgovError as exc:
        return _message(request, gettext("The result cannot be downloaded yet"), str(exc), 409)
    return _download(stored)


@never_cache
@require_GET
def track_receipt(request: HttpRequest, token: str) -> HttpResponseBase:
    """The receipt (Mẫu 01) through the signed link of the intake message: the stored slip,
    drawn now if the rendering task has not run yet."""
    pk = citizen_selectors.receipt_link_dossier_id(token)
    dossier = citizen_selectors.dossier_by_pk(pk) if pk is not None else None
    if dossier is None:
        return _expired(request)
    slip = slip_services.slip_render(dossier=dossier, form=SlipForm.RECEIPT)  # stored once
    response = FileResponse(
        file_open(slip.stored_file),
        as_attachment=False,
        filename=f"{dossier.code}-mau-01.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def track_rate(request: HttpRequest, token: str) -> HttpResponse:
    """Rate the service after a status look-up (the token proves the second factor)."""
    pk = citizen_selectors.proof_dossier_id(token)
    dossier = citizen_selectors.dossier_by_pk(pk) if pk is not None else None
    if dossier is None:
        return _expired(request)
    return _rate(
        request,
        dossier,
        proof=token,
        done_url=reverse("dossiers:status_code", kwargs={"code": dossier.code}),
        action=reverse("portal:track_rate", kwargs={"token": token}),
    )


# --- the signed-in applicant ---------------------------------------------------------------------


def _own(request: HttpRequest, code: str) -> Dossier:
    dossier = citizen_selectors.dossier_of_account(request.user, code)
    if dossier is None:
        raise Http404
    return dossier


@never_cache
@login_required(login_url=CITIZEN_LOGIN)
@require_GET
def my_dossier(request: HttpRequest, code: str) -> HttpResponse:
    """The applicant's own dossier, without the second factor; another's dossier is 404."""
    dossier = _own(request, code)
    supplement = (
        online_services.supplement_link(dossier)
        if dossier.state == State.SUPPLEMENT_REQUESTED
        else ""
    )
    view = citizen_selectors.citizen_dossier(
        dossier,
        result_url=reverse("portal:my_result", kwargs={"code": dossier.code}),
        rate_url=reverse("portal:my_rating", kwargs={"code": dossier.code}),
        supplement_url=supplement,
    )
    context = {
        "dossier": dossier,
        "citizen": view,
        "found": True,
        "own_page": True,
        "timeline": view.timeline,
    }
    return render(request, "portal/track/my_dossier.html", context)


@never_cache
@login_required(login_url=CITIZEN_LOGIN)
@require_GET
def my_result(request: HttpRequest, code: str) -> HttpResponseBase:
    """The e-result of the applicant's own dossier; audited."""
    dossier = _own(request, code)
    try:
        stored = citizen_services.result_download_record(
            dossier=dossier, actor=_user(request), via="account"
        )
    except NotFound as exc:
        raise Http404 from exc
    except EgovError as exc:
        return _message(request, gettext("The result cannot be downloaded yet"), str(exc), 409)
    return _download(stored)


@never_cache
@login_required(login_url=CITIZEN_LOGIN)
@require_http_methods(["GET", "POST"])
def my_rating(request: HttpRequest, code: str) -> HttpResponse:
    dossier = _own(request, code)
    url = reverse("portal:my_dossier", kwargs={"code": dossier.code})
    response = _rate(
        request,
        dossier,
        proof="",
        done_url=url,
        action=reverse("portal:my_rating", kwargs={"code": dossier.code}),
    )
    return response
