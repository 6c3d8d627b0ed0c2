"""Tables of fee payments: the payment orders, every callback received, and the sandbox
gateway's own ledger (what the simulated bank says happened, reconciled against our records).

The services in `egov.payments.services` are the only writers of Payment and PaymentCallback;
`egov.payments.sandbox` is the only writer of SandboxTransaction.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from egov.core.models import StoredFile
from egov.directory.models import Account
from egov.dossiers.models import Dossier


class PaymentState(models.TextChoices):
    CREATED = "created", _("Created")
    PENDING = "pending", _("Pending at the gateway")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


OPEN_PAYMENT_STATES = frozenset({PaymentState.CREATED, PaymentState.PENDING})


class Payment(models.Model):
    """One payment order sent to a gateway for the unpaid fee lines of one dossier.

    `amount` is computed on the server from the fee lines (`fee_lines` keeps which ones); at
    most one order per dossier is open (created or pending) at a time. `credited` says that the
    fee lines were marked paid by this payment: a payment the gateway confirms after the fees
    were settled otherwise (at the counter, by another order) stays uncredited and is flagged
    for a refund by the reconciliation report.
    """

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.BigIntegerField(_("amount (VND)"))
    currency = models.CharField(_("currency"), max_length=3, default="VND")
    txn_ref = models.CharField(_("order reference"), max_length=40, unique=True)
    state = models.CharField(
        _("state"), max_length=10, choices=PaymentState.choices, default=PaymentState.CREATED
    )
    gateway = models.CharField(_("gateway"), max_length=20)
    fee_lines = models.JSONField(_("fee lines paid"), default=list, blank=True)
    order_info = models.CharField(_("order description"), max_length=255)
    payer = models.ForeignKey(
        Account,
        verbose_name=_("payer account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    client_ip = models.CharField(_("client IP address"), max_length=45, blank=True)
    locale = models.CharField(_("language"), max_length=2, default="vn")
    return_url = models.CharField(_("return address"), max_length=500)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    gateway_txn_no = models.CharField(_("gateway transaction number"), max_length=40, blank=True)
    bank_code = models.CharField(_("bank code"), max_length=20, blank=True)
    card_type = models.CharField(_("card type"), max_length=20, blank=True)
    response_code = models.CharField(_("gateway response code"), max_length=4, blank=True)
    transaction_status = models.CharField(_("gateway transaction status"), max_length=4, blank=True)
    pay_date = models.DateTimeField(_("paid at the bank"), null=True, blank=True)
    paid_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    credited = models.BooleanField(_("fees credited"), default=False)
    last_params = models.JSONField(_("last callback parameters"), default=dict, blank=True)
    receipt_number = models.CharField(_("receipt number"), max_length=40, blank=True)
    receipt_file = models.ForeignKey(
        StoredFile,
        verbose_name=_("receipt"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=PaymentState.values), name="payments_payment_state_known"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_payment_amount_pos"),
            models.UniqueConstraint(
                fields=["dossier"],
                condition=Q(state__in=["created", "pending"]),
                name="payments_payment_one_open",
            ),
            models.CheckConstraint(
                condition=Q(state="paid", paid_at__isnull=False) | ~Q(state="paid"),
                name="payments_payment_paid_has_time",
            ),
            models.CheckConstraint(
                condition=Q(credited=False) | Q(state="paid"),
                name="payments_payment_credited_paid",
            ),
        ]
        indexes = [models.Index(fields=["paid_at"], name="payments_paid_at")]

    def __str__(self) -> str:
        return f"{self.txn_ref} {self.amount} {self.state}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_PAYMENT_STATES


class CallbackKind(models.TextChoices):
    IPN = "ipn", _("Server notification (IPN)")
    RETURN = "return", _("Browser return")


class PaymentCallback(models.Model):
    """Every callback received, valid or not: the audit trail of duplicates and replays.

    `outcome` says what it did: "applied" (changed the payment), "duplicate" (same result as
    already recorded), "ignored" (a different result after a final one, e.g. a failure notice
    after a success), "refused" (bad signature, unknown order, wrong amount). `rsp_code` is the
    answer given to the gateway (IPN) or the one it would have got (return).
    """

    payment = models.ForeignKey(
        Payment,
        verbose_name=_("payment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="callbacks",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=CallbackKind.choices)
    txn_ref = models.CharField(_("order reference"), max_length=100, blank=True)
    params = models.JSONField(_("parameters"), default=dict)
    signature_valid = models.BooleanField(_("signature valid"))
    rsp_code = models.CharField(_("answer code"), max_length=2)
    outcome = models.CharField(_("outcome"), max_length=12)
    message = models.CharField(_("message"), max_length=255, blank=True)
    remote_ip = models.CharField(_("sender IP address"), max_length=45, blank=True)
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        ordering = ["received_at", "pk"]
        verbose_name = _("payment callback")
        verbose_name_plural = _("payment callbacks")
        indexes = [models.Index(fields=["txn_ref"], name="payments_callback_ref")]

    def __str__(self) -> str:
        return f"{self.kind} {self.txn_ref} {self.rsp_code} {self.outcome}"


class SandboxTransaction(models.Model):
    """The local sandbox gateway's ledger: what its simulated bank did with each order.

    Only the sandbox writes it; the reconciliation report reads it as "the gateway's records".
    """

    class Result(models.TextChoices):
        SUCCESS = "success", _("Paid")
        CANCELLED = "cancelled", _("Cancelled by the customer")
        FAILED = "failed", _("Refused by the bank")

    tmn_code = models.CharField(_("terminal code"), max_length=20)
    txn_ref = models.CharField(_("order reference"), max_length=100)
    transaction_no = models.CharField(_("transaction number"), max_length=20, unique=True)
    amount = models.BigIntegerField(_("amount (VND)"))
    order_info = models.CharField(_("order description"), max_length=255, blank=True)
    bank_code = models.CharField(_("bank code"), max_length=20)
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    response_code = models.CharField(_("response code"), max_length=2)
    pay_date = models.DateTimeField(_("paid at"))
    return_url = models.CharField(_("return address"), max_length=500)
    ipn_url = models.CharField(_("notification address"), max_length=500)
    callback_params = models.JSONField(_("signed result parameters"), default=dict)
    ipn_attempts = models.PositiveSmallIntegerField(_("notification attempts"), default=0)
    ipn_answer = models.CharField(_("last notification answer"), max_length=500, blank=True)
    ipn_confirmed_at = models.DateTimeField(_("notification confirmed at"), null=True, blank=True)

    class Meta:
        ordering = ["pay_date", "pk"]
        verbose_name = _("sandbox transaction")
        verbose_name_plural = _("sandbox transactions")
        constraints = [
            models.UniqueConstraint(
                fields=["tmn_code", "txn_ref"], name="payments_sandbox_once_per_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.txn_ref} {self.result} {self.amount}"
