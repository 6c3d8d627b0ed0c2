"""Citizen and business accounts on the portal: sign-up with a one-time code, password reset,
the account page (contact details re-verified by code, password, sign-out) and "my dossiers".

The rules live in `egov.directory.citizen_services`; these views parse the forms, apply the bot
guard and the rate limits (they know the client's address), and keep the id of the pending code
in the session between the two steps of each flow. Sign-in itself stays the directory's view
(`directory:applicant_login`); its rate limit comes through the identity provider registered
in `egov.portal.urls_account`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from egov.core.botguard import bot_check
from egov.core.errors import EgovError, ValidationFailed
from egov.core.ratelimit import RateLimited, client_ip, rate_limit_check, rate_limit_hit
from egov.directory import citizen_services, identifiers, services
from egov.directory import middleware as directory_middleware
from egov.directory.models import Account, Applicant, OneTimeCode
from egov.dossiers import citizen_selectors

SIGNUP_KEY = "egov_signup_code"
RESET_KEY = "egov_reset_code"
CONTACT_KEY = "egov_contact_code"
PAGE_SIZE = 20
_BACKEND = "django.contrib.auth.backends.ModelBackend"
BUSINESS_PARAM = "doanh-nghiep"

Channel = OneTimeCode.Channel


# --- forms ---------------------------------------------------------------------------------------

_NUMERIC = {"inputmode": "numeric", "spellcheck": "false", "autocomplete": "off"}


class _SignupForm(forms.Form):
    """What both kinds of account share; the checks are the service's."""

    phone = forms.CharField(
        label=_("Mobile phone number"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.CharField(
        label=_("E-mail"),
        max_length=254,
        required=False,
        help_text=_("Needed if you want the code by e-mail."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    channel = forms.ChoiceField(
        label=_("Send the code by"),
        choices=[(Channel.SMS, _("Text message to my phone")), (Channel.EMAIL, _("E-mail"))],
        initial=Channel.SMS,
        widget=forms.RadioSelect,
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=4096,
        help_text=_("At least 10 characters, with letters and digits."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_phone(self) -> str:
        phone = str(self.cleaned_data["phone"])
        if identifiers.normalize_mobile(phone) is None:
            raise forms.ValidationError(
                gettext("Enter a Vietnamese mobile number of 10 digits, e.g. 0912345678.")
            )
        return phone

    def clean_email(self) -> str:
        value = str(self.cleaned_data.get("email") or "").strip()
        if value and not identifiers.email_is_valid(value):
            raise forms.ValidationError(gettext("Enter a valid e-mail address."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("channel") == Channel.EMAIL and "email" in data and not data["email"]:
            self.add_error("email", gettext("Enter a valid e-mail address."))
        if data.get("password") and data.get("password2") != data["password"]:
            self.add_error("password2", gettext("The two passwords are not the same."))
        return data


class PersonSignupForm(_SignupForm):
    kind = Applicant.Kind.PERSON
    identifier_field = "national_id"
    field_order = ["full_name", "national_id", "phone", "email", "channel", "password"]

    full_name = forms.CharField(
        label=_("Full name"),
        max_length=255,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    national_id = forms.CharField(
        label=_("Personal identification number (12 digits)"),
        max_length=20,
        help_text=_("Printed on your citizen ID card; it becomes your user name."),
        widget=forms.TextInput(attrs=_NUMERIC),
    )

    def clean_national_id(self) -> str:
        value = identifiers.normalize_digits(str(self.cleaned_data["national_id"]))
        if not identifiers.national_id_is_valid(value):
            raise forms.ValidationError(
                gettext("Enter the 12-digit personal identification number printed on the ID card.")
            )
        return value


class BusinessSignupForm(_SignupForm):
    kind = Applicant.Kind.BUSINESS
    identifier_field = "tax_code"
    field_order = [
        "full_name",
        "tax_code",
        "representative",
        "phone",
        "email",
        "channel",
        "password",
    ]

    full_name = forms.CharField(
        label=_("Name of the business or organisation"),
        max_length=255,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    tax_code = forms.CharField(
        label=_("Tax code"),
        max_length=20,
        help_text=_("10 digits, or 13 for a branch (0123456789-001); it becomes your user name."),
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    representative = forms.CharField(
        label=_("Legal representative"),
        max_length=255,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def clean_tax_code(self) -> str:
        value = identifiers.normalize_tax_code(str(self.cleaned_data["tax_code"]))
        if value is None:
            raise forms.ValidationError(
                gettext("Enter a valid tax code: 10 digits, or 13 for a branch (0123456789-001).")
            )
        return value


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Six-digit code"),
        max_length=7,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]{6,7}",
                "spellcheck": "false",
            }
        ),
    )


class ResetStartForm(forms.Form):
    identifier = forms.CharField(
        label=_("ID number or tax code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "username", "spellcheck": "false"}),
    )
    channel = forms.ChoiceField(
        label=_("Send the code by"),
        choices=[
            (Channel.SMS, _("Text message to the phone number of my account")),
            (Channel.EMAIL, _("E-mail to the address of my account")),
        ],
        initial=Channel.SMS,
        widget=forms.RadioSelect,
    )


class _NewPasswordForm(forms.Form):
    new_password = forms.CharField(
        label=_("New password"),
        strip=False,
        max_length=4096,
        help_text=_("At least 10 characters, with letters and digits."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password2") != data["new_password"]:
            self.add_error("new_password2", gettext("The two passwords are not the same."))
        return data


class ResetFinishForm(CodeForm, _NewPasswordForm):
    field_order = ["code", "new_password", "new_password2"]


class PasswordChangeForm(_NewPasswordForm):
    field_order = ["old_password", "new_password", "new_password2"]

    old_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ContactChangeForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("What do you want to change?"),
        choices=[(Channel.SMS, _("Mobile phone number")), (Channel.EMAIL, _("E-mail"))],
        initial=Channel.SMS,
        widget=forms.RadioSelect,
    )
    value = forms.CharField(
        label=_("New phone number or e-mail"),
        max_length=254,
        help_text=_("We send a code there: type it on the next page to confirm."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label=_("Current password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


# --- helpers -------------------------------------------------------------------------------------


def _error(form: forms.Form, exc: EgovError) -> None:
    """Put a service error next to its field(s), or above the form."""
    errors = exc.details.get("errors") if isinstance(exc.details, dict) else None
    if isinstance(errors, dict):
        for name, item in errors.items():
            message = item.get("message") if isinstance(item, dict) else str(item)
            form.add_error(name if name in form.fields else None, str(message))
        return
    form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))


def _status_of(exc: EgovError) -> int:
    return 429 if isinstance(exc, RateLimited) else 422


def _bot_refused(request: HttpRequest, form: forms.Form) -> bool:
    try:
        bot_check(request.POST)
    except ValidationFailed as exc:
        form.add_error(None, str(exc.message))
        return True
    return False


def _user(request: HttpRequest) -> Account:
    """The signed-in account (the caller has checked that someone is signed in)."""
    user = request.user
    assert isinstance(user, Account)
    return user


def _sign_in(request: HttpRequest, account: Account, *, method: str) -> None:
    login(request, account, backend=_BACKEND)
    request.session[directory_middleware.SESSION_KEY] = timezone.now().timestamp()
    services.account_record_sign_in(account=account, method=method)


def _pending(request: HttpRequest, key: str, purpose: str) -> OneTimeCode | None:
    code_id = request.session.get(key)
    if not isinstance(code_id, int) or code_id <= 0:
        return None
    return OneTimeCode.objects.filter(pk=code_id, purpose=purpose, used_at__isnull=True).first()


def citizen_required(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Signed-in citizens and businesses only: others go to the citizen sign-in, officers get
    403 (an officer's account is not an applicant's)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(
                request.get_full_path(), login_url=reverse("directory:applicant_login")
            )
        if getattr(user, "kind", "") != Account.Kind.APPLICANT:
            raise DjangoPermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _code_page(
    request: HttpRequest,
    *,
    form: forms.Form,
    row: OneTimeCode | None,
    title: str,
    action: str,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    context = {
        "form": form,
        "title": title,
        "action": action,
        "sent_to": citizen_services.mask_destination(row.channel, row.destination)
        if row is not None
        else "",
        "by_sms": row is not None and row.channel == Channel.SMS,
        "minutes": int(citizen_services.otp_limits().ttl.total_seconds() // 60),
        **extra,
    }
    return render(request, "portal/account/code.html", context, status=status)


def _resend(request: HttpRequest, row: OneTimeCode | None, purpose: str) -> EgovError | None:
    """Send a new code for the pending row; the error to show, or None when sent."""
    if row is None:
        return ValidationFailed(
            gettext("This code can no longer be used. Please start again."), code="otp.unknown"
        )
    try:
        rate_limit_hit(scope="otp", key=f"ip|{client_ip(request)}")
        rate_limit_hit(scope="otp", key=f"send|{row.destination}")
        citizen_services.one_time_code_resend(
            code_id=row.pk,
            purpose=purpose,
            account=_user(request) if request.user.is_authenticated else None,
        )
    except EgovError as exc:
        return exc
    messages.success(request, gettext("A new code has been sent."))
    return None


def _refused(problem: EgovError) -> CodeForm:
    """An empty code form that carries why a new code was not sent."""
    form = CodeForm(data={})
    form.errors.clear()
    form.add_error(None, str(problem.message))
    return form


def _check_code_rate(request: HttpRequest) -> None:
    rate_limit_check(scope="otp", key=f"ip|{client_ip(request)}")


def _count_wrong_code(request: HttpRequest, exc: EgovError) -> EgovError:
    """A wrong code counts against the client's address; returns the error to show."""
    if exc.code not in {"otp.invalid", "otp.exhausted"}:
        return exc
    try:
        rate_limit_hit(scope="otp", key=f"ip|{client_ip(request)}")
    except RateLimited as limited:
        return limited
    return exc


# --- sign-up -------------------------------------------------------------------------------------


@sensitive_post_parameters("password", "password2")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Open a citizen account (or a business one with `?loai=doanh-nghiep`)."""
    if request.user.is_authenticated:
        return redirect("portal:account")
    business = (request.POST.get("kind") or "") == Applicant.Kind.BUSINESS or (
        request.method == "GET" and request.GET.get("loai") == BUSINESS_PARAM
    )
    form_class = BusinessSignupForm if business else PersonSignupForm
    form = form_class(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if _bot_refused(request, form):
            status = 400
        elif form.is_valid():
            data = form.cleaned_data
            identifier = str(data[form.identifier_field])
            try:
                rate_limit_hit(scope="signup", key=f"ip|{client_ip(request)}")
                rate_limit_hit(scope="signup", key=f"id|{identifiers.normalize_digits(identifier)}")
                destination = data["phone"] if data["channel"] == Channel.SMS else data["email"]
                rate_limit_hit(scope="otp", key=f"send|{destination.strip().lower()}")
                row = citizen_services.citizen_signup(
                    kind=form.kind,
                    full_name=data["full_name"],
                    identifier=identifier,
                    phone=data["phone"],
                    email=data["email"],
                    password=data["password"],
                    channel=data["channel"],
                    representative=data.get("representative", ""),
                )
            except EgovError as exc:
                _error(form, exc)
                status = _status_of(exc)
            else:
                request.session[SIGNUP_KEY] = row.pk
                return redirect("portal:signup_verify")
    return render(
        request,
        "portal/account/signup.html",
        {"form": form, "business": business, "kind": form.kind},
        status=status,
    )


@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def signup_verify(request: HttpRequest) -> HttpResponse:
    """Step 2 of the sign-up: the code activates the account and signs the citizen in."""
    row = _pending(request, SIGNUP_KEY, OneTimeCode.Purpose.SIGNUP)
    if row is None:
        messages.info(request, gettext("Start by filling in the registration form."))
        return redirect("portal:signup")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and request.POST.get("action") == "resend":
        problem = _resend(request, row, OneTimeCode.Purpose.SIGNUP)
        if problem is None:
            return redirect("portal:signup_verify")
        form = _refused(problem)
        status = _status_of(problem)
    elif request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                _check_code_rate(request)
                account = citizen_services.citizen_signup_verify(
                    code_id=row.pk, code=form.cleaned_data["code"]
                )
            except EgovError as exc:
                problem = _count_wrong_code(request, exc)
                _error(form, problem)
                status = _status_of(problem)
            else:
                request.session.pop(SIGNUP_KEY, None)
                _sign_in(request, account, method="signup_code")
                messages.success(request, gettext("Your account is active and you are signed in."))
                return redirect("portal:account")
    return _code_page(
        request,
        form=form,
        row=row,
        title=gettext("Confirm your registration"),
        action=reverse("portal:signup_verify"),
        status=status,
        can_resend=True,
    )


# --- password reset ------------------------------------------------------------------------------


@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """Forgotten password, step 1: the ID number or tax code and where to send the code."""
    form = ResetStartForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if _bot_refused(request, form):
            status = 400
        elif form.is_valid():
            identifier = form.cleaned_data["identifier"]
            try:
                rate_limit_hit(scope="otp", key=f"ip|{client_ip(request)}")
                rate_limit_hit(scope="otp", key=f"reset|{identifiers.normalize_digits(identifier)}")
                row = citizen_services.citizen_password_reset_start(
                    identifier=identifier, channel=form.cleaned_data["channel"]
                )
            except EgovError as exc:
                _error(form, exc)
                status = _status_of(exc)
            else:
                # The same answer whether or not an account matched (no account discovery).
                request.session[RESET_KEY] = row.pk if row is not None else 0
                request.session[RESET_KEY + "_tries"] = 0
                messages.info(
                    request,
                    gettext(
                        "If an account has this number and a phone number or e-mail of that "
                        "kind, we have sent a code to it."
                    ),
                )
                return redirect("portal:password_reset_confirm")
    return render(request, "portal/account/password_reset.html", {"form": form}, status=status)


def _decoy_failure(request: HttpRequest) -> EgovError:
    """What a wrong code gets when no account matched: the same answers, counted the same."""
    tries = int(request.session.get(RESET_KEY + "_tries", 0)) + 1
    request.session[RESET_KEY + "_tries"] = tries
    limits = citizen_services.otp_limits()
    if tries >= limits.max_attempts:
        return citizen_services.code_exhausted_error(can_resend=False)
    return citizen_services.code_wrong_error(limits.max_attempts - tries)


@sensitive_post_parameters("new_password", "new_password2")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def password_reset_confirm(request: HttpRequest) -> HttpResponse:
    """Forgotten password, step 2: the code and the new password."""
    if RESET_KEY not in request.session:
        return redirect("portal:password_reset")
    row = _pending(request, RESET_KEY, OneTimeCode.Purpose.PASSWORD_RESET)
    form = ResetFinishForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                _check_code_rate(request)
                if row is None:
                    raise _decoy_failure(request)
                citizen_services.citizen_password_reset_finish(
                    code_id=row.pk, code=data["code"], new_password=data["new_password"]
                )
            except EgovError as exc:
                problem = _count_wrong_code(request, exc)
                _error(form, problem)
                status = _status_of(problem)
            else:
                request.session.pop(RESET_KEY, None)
                request.session.pop(RESET_KEY + "_tries", None)
                messages.success(
                    request, gettext("Your password has been changed. Sign in with it now.")
                )
                return redirect("directory:applicant_login")
    return render(
        request,
        "portal/account/password_reset_confirm.html",
        {"form": form, "minutes": int(citizen_services.otp_limits().ttl.total_seconds() // 60)},
        status=status,
    )


# --- the account ---------------------------------------------------------------------------------


@citizen_required
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    """Who the account is, with the ways to change contact details and password, and sign out."""
    applicant = Applicant.objects.filter(account_id=_user(request).pk).first()
    return render(request, "portal/account/account.html", {"applicant": applicant})


@citizen_required
@sensitive_post_parameters("old_password", "new_password", "new_password2")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def account_password(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                account = services.account_password_change(
                    account=_user(request),
                    old_password=form.cleaned_data["old_password"],
                    new_password=form.cleaned_data["new_password"],
                )
            except ValidationFailed as exc:
                if exc.code == "auth.password_invalid":
                    exc.field = "new_password"
                _error(form, exc)
            else:
                update_session_auth_hash(request, account)
                messages.success(request, gettext("Your password has been changed."))
                return redirect("portal:account")
    return render(request, "portal/account/password_change.html", {"form": form}, status=status)


@citizen_required
@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def account_contact(request: HttpRequest) -> HttpResponse:
    """Change the phone number or e-mail: a code goes to the new one."""
    form = ContactChangeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                rate_limit_hit(scope="otp", key=f"contact|{request.user.pk}")
                row = citizen_services.citizen_contact_change_start(
                    account=_user(request),
                    password=data["password"],
                    channel=data["channel"],
                    value=data["value"],
                )
            except EgovError as exc:
                _error(form, exc)
                status = _status_of(exc)
            else:
                request.session[CONTACT_KEY] = row.pk
                return redirect("portal:account_contact_verify")
    return render(request, "portal/account/contact.html", {"form": form}, status=status)


@citizen_required
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def account_contact_verify(request: HttpRequest) -> HttpResponse:
    row = _pending(request, CONTACT_KEY, OneTimeCode.Purpose.CONTACT_CHANGE)
    if row is None or row.account_id != request.user.pk:
        return redirect("portal:account_contact")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and request.POST.get("action") == "resend":
        problem = _resend(request, row, OneTimeCode.Purpose.CONTACT_CHANGE)
        if problem is None:
            return redirect("portal:account_contact_verify")
        form = _refused(problem)
        status = _status_of(problem)
    elif request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                _check_code_rate(request)
                citizen_services.citizen_contact_change_verify(
                    account=_user(request),
                    code_id=row.pk,
                    code=form.cleaned_data["code"],
                )
            except EgovError as exc:
                problem = _count_wrong_code(request, exc)
                _error(form, problem)
                status = _status_of(problem)
            else:
                request.session.pop(CONTACT_KEY, None)
                messages.success(request, gettext("Your contact details have been updated."))
                return redirect("portal:account")
    return _code_page(
        request,
        form=form,
        row=row,
        title=gettext("Confirm your new contact details"),
        action=reverse("portal:account_contact_verify"),
        status=status,
        can_resend=True,
    )


# --- my dossiers ---------------------------------------------------------------------------------


@citizen_required
@require_GET
def my_dossiers(request: HttpRequest) -> HttpResponse:
    """The signed-in applicant's dossiers (as the applicant, or submitted from this account),
    with their state in plain words; each links to the applicant's own dossier page."""
    dossiers = citizen_selectors.dossiers_of_account(request.user).only(
        "code",
        "state",
        "received_at",
        "appointment_at",
        "procedure_version__name",
        "receiving_organization__name_vi",
    )
    page = Paginator(dossiers, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {"dossier": d, "state_words": citizen_selectors.STATE_WORDS.get(d.state, d.state)}
        for d in page.object_list
    ]
    return render(request, "portal/account/my_dossiers.html", {"page": page, "rows": rows})
