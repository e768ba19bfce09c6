"""Webhook delivery, behind the domain's `Outbox` port: the worker that sends the outbox."""

from __future__ import annotations

from tokenbridge.webhooks.delivery import Outcome, post
from tokenbridge.webhooks.outbox import DeliveryWorker

__all__ = ["DeliveryWorker", "Outcome", "post"]
