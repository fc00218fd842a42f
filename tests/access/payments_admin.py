"""Access rules of the treasurer's online-payment pages: admin and treasurer see the list, a
payment, the webhook events and the payouts; only the treasurer acts on a payment; the board
and members see none of it. Admin and treasurer change the online-payment settings."""

VIEWERS = ("admin", "treasurer")
TREASURER = ("treasurer",)
PAYMENT = "/zahlungen/online/{online_payment_id}"

ROUTES = {
    "payments.admin_list": ("GET", "/zahlungen/online", VIEWERS),
    "payments.admin_detail": ("GET", PAYMENT, VIEWERS),
    "payments.admin_events": ("GET", "/zahlungen/online/ereignisse", VIEWERS),
    "payments.admin_payouts": ("GET", "/zahlungen/online/auszahlungen", VIEWERS),
    "payments.admin_assign_payer": ("POST", PAYMENT + "/zahler", TREASURER),
    "payments.admin_refresh": ("POST", PAYMENT + "/abgleichen", TREASURER),
    "payments.admin_refund": ("POST", PAYMENT + "/erstatten", TREASURER),
    "payments.admin_resolve": (
        "POST",
        PAYMENT + "/hinweise/{online_attention_id}/erledigt",
        TREASURER,
    ),
    "payments.admin_excess_to_donation": ("POST", PAYMENT + "/mehrbetrag-als-spende", TREASURER),
    "admin.payment_settings": ("GET", "/verwaltung/einstellungen/online-zahlungen", VIEWERS),
}


def context(users) -> dict:
    """A paid donation (made in the database, no Stripe) with an open attention item."""
    from supportclub.extensions import db
    from supportclub.payments.models import (
        AttentionKind,
        OnlinePayment,
        PaymentAttention,
        PaymentStatus,
        Purpose,
    )

    payment = OnlinePayment(
        token="access-matrix-payment",
        checkout_session_id="cs_test_access_matrix",
        purpose=Purpose.DONATION,
        status=PaymentStatus.SUCCEEDED,
        amount_cents=5000,
        paid_cents=5000,
        fee_cents=100,
        donor={"first_name": "Erika", "last_name": "Spenderin"},
        email="erika@example.org",
    )
    db.session.add(payment)
    db.session.flush()
    item = PaymentAttention(
        payment_id=payment.id, kind=AttentionKind.PAYMENT_FAILED, detail={"message": "x"}
    )
    db.session.add(item)
    db.session.commit()
    return {"online_payment_id": payment.id, "online_attention_id": item.id}
