"""The service's webhook dispatcher, built from its settings: URL-fetch address rules with the
webhook allow-list, and the configured retry policy."""

from __future__ import annotations

from functools import partial

from mediamatch.reporting.webhooks import RetryPolicy, WebhookDispatcher
from mediamatch.service.fetch import FetchPolicy, check_destination
from mediamatch.service.settings import Settings
from mediamatch.store import Store


def webhook_policy(settings: Settings) -> FetchPolicy:
    """The URL-fetch address rules for webhook destinations, with their own allow-list."""
    allowed = tuple(h.strip() for h in settings.webhook_allowed_hosts.split(",") if h.strip())
    return FetchPolicy(settings.max_item_bytes, settings.webhook_timeout_seconds, 0, allowed)


def webhook_dispatcher(settings: Settings, store: Store) -> WebhookDispatcher:
    retry = RetryPolicy(
        max_attempts=settings.webhook_max_attempts,
        base_seconds=settings.webhook_retry_seconds,
        timeout_seconds=settings.webhook_timeout_seconds,
    )
    check = partial(check_destination, policy=webhook_policy(settings))
    return WebhookDispatcher(store, check, retry=retry, poll_seconds=settings.webhook_poll_seconds)
