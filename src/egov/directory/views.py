"""Sign-in screens (officers with an optional second factor, citizens) and the workspace home.

Officer sign-in is two steps. The password step never signs anyone in when a second factor is
due: it keeps the account id and the time in the session (`PENDING_KEY`) and sends the officer
to the code step, or to the set-up step when their organisation demands a second factor that
they have not set up yet. Only a right code signs them in (`django.contrib.auth.login`, which
also changes the session key). The pending state expires after PENDING_SECONDS.
"""

from __future__ import annotations

import io
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from egov.core.errors import EgovError
from egov.core.selectors import audit_history
from egov.directory import identity, middleware, policy, selectors, services
from egov.directory.forms import CitizenSignInForm, SignInForm, TotpForm
from egov.directory.models import Account, Role

PENDING_KEY = "egov_pending_sign_in"
PENDING_SECONDS = 300
_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _next_url(request: HttpRequest, default: str) -> str:
    """The `next` parameter when it points inside this site, else `default`."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(default)


def _sign_in(request: HttpRequest, account: Account, *, method: str, next_url: str) -> HttpResponse:
    request.session.pop(PENDING_KEY, None)
    login(request, account, backend=_BACKEND)
    request.session[middleware.SESSION_KEY] = timezone.now().timestamp()
    services.account_record_sign_in(account=account, method=method)
    return HttpResponseRedirect(next_url)


def _pending_set(request: HttpRequest, account: Account, next_url: str) -> None:
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "account": account.pk,
        "at": timezone.now().timestamp(),
        "next": next_url,
    }


def _pending(request: HttpRequest) -> tuple[Account, str] | None:
    """The account waiting for its second factor, or None (none, expired, or deactivated)."""
    data = request.session.get(PENDING_KEY)
    if not isinstance(data, dict):
        return None
    if timezone.now().timestamp() - float(data.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    account = Account.objects.filter(pk=int(data.get("account") or 0), is_active=True).first()
    if account is None:
        request.session.pop(PENDING_KEY, None)
        return None
    return account, str(data.get("next") or resolve_url(settings.LOGIN_REDIRECT_URL))


def _restart(request: HttpRequest) -> HttpResponse:
    request.session["egov_sign_in_expired"] = True
    return redirect("directory:login")


# --- officers ------------------------------------------------------------------------------------


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Step 1: user name and password."""
    next_url = _next_url(request, settings.LOGIN_REDIRECT_URL)
    notices = []
    if request.session.pop(middleware.IDLE_FLAG, False):
        notices.append(
            gettext("You were signed out after %(minutes)d minutes without activity.")
            % {"minutes": settings.EGOV_IDLE_TIMEOUT_MINUTES}
        )
    if request.session.pop("egov_sign_in_expired", False):
        notices.append(gettext("The sign-in took too long. Please start again."))
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.account_authenticate(
                username=form.cleaned_data["username"].strip(),
                password=form.cleaned_data["password"],
                kind=Account.Kind.OFFICER,
            )
        except EgovError as exc:
            form.add_error(None, str(exc.message))
        else:
            if services.account_totp_required(account):
                _pending_set(request, account, next_url)
                step = "directory:login_totp" if account.totp_confirmed else "directory:totp_setup"
                return redirect(step)
            return _sign_in(request, account, method="password", next_url=next_url)
    return render(
        request, "directory/login.html", {"form": form, "next": next_url, "notices": notices}
    )


@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_totp_view(request: HttpRequest) -> HttpResponse:
    """Step 2: the code from the officer's authenticator app."""
    pending = _pending(request)
    if pending is None:
        return _restart(request)
    account, next_url = pending
    if not account.totp_confirmed:
        return redirect("directory:totp_setup")
    form = TotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_totp_verify(account=account, code=form.cleaned_data["code"])
        except EgovError as exc:
            form.add_error("code", str(exc.message))
            if exc.code == "auth.locked":
                request.session.pop(PENDING_KEY, None)
        else:
            return _sign_in(request, account, method="password+totp", next_url=next_url)
    return render(request, "directory/login_totp.html", {"form": form, "account": account})


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def totp_setup_view(request: HttpRequest) -> HttpResponse:
    """Step 2 for an officer whose organisation demands a second factor not yet set up."""
    pending = _pending(request)
    if pending is None:
        return _restart(request)
    account, next_url = pending
    if account.totp_confirmed:
        return redirect("directory:login_totp")
    uri = services.account_totp_begin(account=account)
    account.refresh_from_db(fields=["totp_secret"])
    form = TotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_totp_confirm(account=account, code=form.cleaned_data["code"])
        except EgovError as exc:
            form.add_error("code", str(exc.message))
            if exc.code == "auth.locked":
                request.session.pop(PENDING_KEY, None)
        else:
            return _sign_in(request, account, method="password+totp", next_url=next_url)
    return render(
        request,
        "directory/login_totp_setup.html",
        {
            "form": form,
            "account": account,
            "otpauth_uri": uri,
            "secret": _grouped(account.totp_secret),
        },
    )


@never_cache
@require_GET
def totp_qr_view(request: HttpRequest) -> HttpResponse:
    """The QR image of the pending officer's otpauth:// URI, as SVG (no script, no inline style)."""
    pending = _pending(request)
    if pending is None:
        raise Http404
    account, _next = pending
    if account.totp_confirmed or not account.totp_secret:
        raise Http404
    image = qrcode.make(
        services.account_totp_uri(account),
        image_factory=qrcode.image.svg.SvgPathFillImage,
        box_size=10,
        border=4,
    )
    buffer = io.BytesIO()
    image.save(buffer)
    return HttpResponse(buffer.getvalue(), content_type="image/svg+xml")


@require_POST
@csrf_protect
def logout_view(request: HttpRequest) -> HttpResponse:
    """Sign out (POST only, so that a link or an image cannot sign anyone out)."""
    logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


@login_required
@require_GET
def workspace(request: HttpRequest) -> HttpResponse:
    """The officer's home: who they are, where they work, what they may do."""
    officer = selectors.officer_for(request.user)
    if officer is None:
        if request.user.is_staff:  # an IT account without a staff profile (createsuperuser)
            return redirect("admin:index")
        raise DjangoPermissionDenied
    roles = selectors.officer_roles(officer)
    delegations = selectors.delegations_of(officer)
    context: dict[str, Any] = {
        "officer": officer,
        "unit": officer.unit,
        "organization": selectors.officer_organization(officer),
        "roles": roles,
        "delegations_given": delegations["given"],
        "delegations_received": delegations["received"],
        "is_it_admin": any(r.role == Role.IT_ADMIN for r in roles),
    }
    return render(request, "directory/workspace.html", context)


@login_required
@require_GET
def object_history(request: HttpRequest, object_type: str, object_id: str) -> HttpResponse:
    """Every recorded change of one object, for IT administrators (the API has the same)."""
    if not policy.can(request.user, "audit.history.read"):
        raise DjangoPermissionDenied
    entries = list(audit_history(object_type=object_type, object_id=object_id)[:500])
    context = {"object_type": object_type, "object_id": object_id, "entries": entries}
    return render(request, "directory/object_history.html", context)


# --- citizens and businesses ------------------------------------------------------------------


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def citizen_login_view(request: HttpRequest) -> HttpResponse:
    """Sign-in for applicants through the registered identity providers (password for now)."""
    next_url = _next_url(request, "portal:home")
    provider = identity.provider_get("password")
    form = CitizenSignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = provider.authenticate(form.cleaned_data)
        except EgovError as exc:
            form.add_error(None, str(exc.message))
        else:
            return _sign_in(request, account, method=provider.key, next_url=next_url)
    return render(
        request,
        "directory/citizen_login.html",
        {"form": form, "next": next_url, "providers": identity.providers()},
    )
