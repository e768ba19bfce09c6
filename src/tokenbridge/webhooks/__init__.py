"""Webhook delivery, behind the domain's `Outbox` port."""

from __future__ import annotations

from tokenbridge.webhooks.delivery import WebhookSender, deliver

__all__ = ["WebhookSender", "deliver"]
