"""The payment screens: start (public, for the applicant), the browser return, the IPN, the
receipt download, and the local sandbox gateway's page and query API.

Views parse, authorise, call one service and render; they never write a model themselves
(the sandbox views call `egov.payments.sandbox`, the simulated gateway's own writer).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from egov.core.errors import EgovError
from egov.core.files import file_open
from egov.core.ratelimit import RateLimited, client_ip, rate_limit_check, rate_limit_hit
from egov.directory import policy
from egov.dossiers.citizen_selectors import proof_dossier_id, second_factor_matches
from egov.dossiers.models import Dossier
from egov.dossiers.selectors import dossier_by_code
from egov.payments import conf, sandbox, services
from egov.payments.access import SESSION_KEY, payment_access_valid
from egov.payments.forms import ProofForm, SandboxForm
from egov.payments.models import Payment, PaymentState
from egov.payments.selectors import payment_by_ref, payment_due_reason, unpaid_fee_lines


def _proven(request: HttpRequest) -> list[int]:
    value = request.session.get(SESSION_KEY, [])
    return [int(v) for v in value] if isinstance(value, list) else []


def _remember(request: HttpRequest, dossier: Dossier) -> None:
    proven = _proven(request)
    if dossier.pk not in proven:
        request.session[SESSION_KEY] = [*proven[-19:], dossier.pk]


def _may_pay(request: HttpRequest, dossier: Dossier) -> tuple[bool, bool]:
    """(allowed, through the second factor) for this browser: the applicant's account, a
    dossier proven earlier in this session, our signed link (`?t=`), or the status page's
    proof of the second factor (`?proof=`, egov.dossiers.citizen_selectors.proof_issue)."""
    if request.user.is_authenticated and policy.can(request.user, "payments.start", dossier):
        return True, False
    if dossier.pk in _proven(request):
        return True, True
    token = request.GET.get("t", "")
    proof = request.GET.get("proof", "")
    if (token and payment_access_valid(token, dossier)) or (
        proof and proof_dossier_id(proof) == dossier.pk
    ):
        _remember(request, dossier)
        return True, True
    return False, False


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


def _order_context(dossier: Dossier) -> dict[str, Any]:
    lines = unpaid_fee_lines(dossier)
    return {
        "dossier": dossier,
        "lines": lines,
        "total": sum(line.amount for line in lines),
        "reason": payment_due_reason(dossier),
    }


@never_cache
@require_http_methods(["GET", "POST"])
def start_view(request: HttpRequest, code: str) -> HttpResponse:
    """The order summary and the "Pay online" button; without an account or the status page's
    link the visitor first proves the phone or ID number given at submission."""
    dossier = dossier_by_code(code[:64])
    if dossier is None:
        raise Http404
    allowed, by_proof = _may_pay(request, dossier)
    ip = client_ip(request)
    if not allowed:
        form = ProofForm(request.POST if request.POST.get("step") == "proof" else None)
        status = 200
        if form.is_bound and form.is_valid():
            try:
                rate_limit_check(scope="status_miss", key=ip)
                if second_factor_matches(dossier, form.cleaned_data["secret"]):
                    _remember(request, dossier)
                    return redirect("payments:start", code=dossier.code)
                rate_limit_hit(scope="status_miss", key=ip)
                form.add_error("secret", gettext("This does not match the dossier."))
                status = 422
            except RateLimited as exc:
                form.add_error("secret", str(exc.message))
                status = 429
        elif form.is_bound:
            status = 422
        return render(
            request, "payments/proof.html", {"form": form, "code": dossier.code}, status=status
        )
    context = _order_context(dossier)
    if request.method == "POST" and request.POST.get("step") == "pay":
        try:
            started = services.payment_start(
                dossier=dossier,
                actor=request.user if request.user.is_authenticated else None,
                return_url_base=_base_url(request),
                client_ip=ip,
                second_factor_proven=by_proof,
                locale="en" if getattr(request, "LANGUAGE_CODE", "vi") == "en" else "vn",
            )
        except EgovError as exc:
            context["error"] = str(exc.message)
            return render(request, "payments/start.html", context, status=exc.status)
        return _to_gateway(request, started.redirect_url)
    return render(request, "payments/start.html", context)


def _to_gateway(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect to our own sandbox; for an outside gateway a page that goes on by itself.

    Browsers apply the CSP `form-action 'self'` to the redirects that follow a form post, so a
    302 from this POST to another origin would be blocked: the page's meta refresh (and its
    link, without it) is a new navigation, which the policy allows."""
    if url.startswith("/") and not url.startswith("//"):
        return redirect(url)
    return render(request, "payments/redirect.html", {"url": url})


def _receipt_allowed(request: HttpRequest, payment: Payment) -> bool:
    if request.user.is_authenticated and policy.can(request.user, "payments.receipt", payment):
        return True
    return payment.dossier_id in _proven(request)


@never_cache
@require_GET
def return_view(request: HttpRequest) -> HttpResponse:
    """Where the gateway sends the browser back: the result in plain words."""
    outcome = services.payment_return(params=request.GET.dict(), remote_ip=client_ip(request))
    payment = outcome.payment
    if outcome.rsp_code in ("97", "01", "04", "99") or payment is None:
        return render(request, "payments/result.html", {"invalid": True}, status=400)
    payment.refresh_from_db()
    context = {
        "payment": payment,
        "dossier": payment.dossier,
        "paid": payment.state == PaymentState.PAID,
        "state_label": PaymentState(payment.state).label,
        "may_download": payment.state == PaymentState.PAID and _receipt_allowed(request, payment),
    }
    return render(request, "payments/result.html", context)


@csrf_exempt
@require_GET
def ipn_view(request: HttpRequest) -> JsonResponse:
    """The gateway's server-to-server notification (GET, as VNPay sends it); JSON answer."""
    outcome = services.payment_notify(params=request.GET.dict(), remote_ip=client_ip(request))
    return JsonResponse(outcome.answer)


@require_GET
def receipt_view(request: HttpRequest, txn_ref: str) -> FileResponse:
    payment = payment_by_ref(txn_ref[:40])
    if payment is None or payment.state != PaymentState.PAID:
        raise Http404
    if not _receipt_allowed(request, payment):
        raise Http404
    payment = services.payment_receipt(payment=payment)
    assert payment.receipt_file is not None
    response = FileResponse(
        file_open(payment.receipt_file),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"bien-nhan-thanh-toan-{payment.txn_ref}.pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- the sandbox gateway -----------------------------------------------------------------------


def _sandbox_on() -> None:
    if not conf.sandbox_enabled():
        raise Http404


@never_cache
@require_http_methods(["GET", "POST"])
def sandbox_pay_view(request: HttpRequest) -> HttpResponse:
    """The simulated gateway's payment page (Vietnamese, as the real one shows for vn)."""
    _sandbox_on()
    if request.method == "POST":
        form = SandboxForm(request.POST)
        if not form.is_valid():
            return render(request, "payments/sandbox_refused.html", {"reason": "form"}, status=400)
        params = dict(parse_qsl(form.cleaned_data["query"], keep_blank_values=True))
        try:
            ledger = sandbox.sandbox_complete(
                params=params,
                choice=form.cleaned_data["choice"],
                bank_code=form.cleaned_data["bank"] or "",
            )
        except sandbox.SandboxRefused as exc:
            return render(
                request, "payments/sandbox_refused.html", {"message": exc.message}, status=400
            )
        return redirect(sandbox.sandbox_return_url(ledger))
    try:
        params = sandbox.sandbox_check(request.GET.dict())
    except sandbox.SandboxRefused as exc:
        return render(
            request, "payments/sandbox_refused.html", {"message": exc.message}, status=400
        )
    context = {
        "query": request.META.get("QUERY_STRING", ""),
        "amount": int(params["vnp_Amount"]) // 100,
        "order_info": params.get("vnp_OrderInfo", ""),
        "txn_ref": params["vnp_TxnRef"],
        "tmn_code": params["vnp_TmnCode"],
        "banks": [(code, label) for code, (label, _r, _s) in sandbox.BANKS.items()],
    }
    return render(request, "payments/sandbox_pay.html", context)


@csrf_exempt
@require_POST
def sandbox_api_view(request: HttpRequest) -> JsonResponse:
    """The simulated querydr API (JSON in, JSON out)."""
    _sandbox_on()
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"vnp_ResponseCode": "99", "vnp_Message": "Invalid JSON"}, status=400)
    if not isinstance(body, dict) or body.get("vnp_Command") != "querydr":
        return JsonResponse({"vnp_ResponseCode": "99", "vnp_Message": "Unsupported"}, status=400)
    return JsonResponse(sandbox.sandbox_query(body))
