"""Payments with stable idempotency keys, so a retried task never charges twice."""

import stripe
from celery import shared_task

from shop.models import Order

client = stripe.StripeClient("sk_test_123")  # StripeClient does not retry by default


@shared_task(
    bind=True,
    autoretry_for=(stripe.APIConnectionError, stripe.RateLimitError),
    dont_autoretry_for=(stripe.CardError, stripe.InvalidRequestError),
    max_retries=3,
    retry_backoff=True,
)
def charge_order(self, order_id):
    order = Order.objects.get(pk=order_id)
    if order.payment_intent_id:
        return order.payment_intent_id
    intent = client.v1.payment_intents.create(
        params={"amount": order.total_cents, "currency": "eur", "customer": order.customer_id},
        options={"idempotency_key": f"order-{order_id}-charge"},
    )
    order.payment_intent_id = intent.id
    order.save(update_fields=["payment_intent_id"])
    return intent.id


@shared_task(
    autoretry_for=(stripe.APIConnectionError,),
    max_retries=3,
    retry_backoff=True,
)
def refund_order(order_id):
    order = Order.objects.get(pk=order_id)
    client.v1.refunds.create(
        params={"payment_intent": order.payment_intent_id},
        options={"idempotency_key": f"order-{order_id}-refund"},
    )
    order.mark_refunded()
