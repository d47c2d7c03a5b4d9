"""``mediamatch webhooks create|list|delete|deliveries|attempts|redeliver``.

The CLI only writes to the database; a running service sends what is due (a redelivered
event goes out on its next pass).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from mediamatch.cli_banks import open_store
from mediamatch.reporting.webhooks import EVENT_TYPES, create_endpoint
from mediamatch.service.settings import Settings
from mediamatch.store import Store
from mediamatch.store.accounts import AccountStore
from mediamatch.store.usage import organisation_names
from mediamatch.store.webhooks import STATUSES, WebhookStore

webhooks_app = typer.Typer(help="Manage webhook endpoints and their deliveries.", no_args_is_help=True)


def _organisation_id(store: Store, name: str) -> int:
    return AccountStore(store, Settings.load().key_pepper.encode()).organisation(name).id


@webhooks_app.command("create")
def create(
    context: typer.Context,
    organisation: Annotated[str, typer.Option("--org", help="Organisation whose events are sent.")],
    url: Annotated[str, typer.Option(help="http(s) URL the events are POSTed to.")],
    event: Annotated[
        list[str] | None, typer.Option(help=f"Repeat per event type ({', '.join(EVENT_TYPES)}); default all.")
    ] = None,
) -> None:
    """Add an endpoint and print its signing secret once (on stdout; the rest on stderr)."""
    store = open_store(context)
    endpoint, secret = create_endpoint(
        WebhookStore(store), _organisation_id(store, organisation), url, event or ()
    )
    typer.echo(secret)
    typer.echo(
        f"webhook {endpoint.id} -> {endpoint.url} ({', '.join(endpoint.events)}); store the secret now",
        err=True,
    )


@webhooks_app.command("list")
def list_endpoints(
    context: typer.Context,
    organisation: Annotated[str | None, typer.Option("--org", help="Only this organisation's.")] = None,
) -> None:
    """Id, organisation, state, events and URL of each endpoint; never the secret."""
    store = open_store(context)
    chosen = None if organisation is None else _organisation_id(store, organisation)
    names = organisation_names(store)
    for endpoint in WebhookStore(store).endpoints(chosen):
        state = "enabled" if endpoint.enabled else "disabled"
        owner = names.get(endpoint.organisation_id, str(endpoint.organisation_id))
        typer.echo(f"{endpoint.id}\t{owner}\t{state}\t{','.join(endpoint.events)}\t{endpoint.url}")


@webhooks_app.command("delete")
def delete(context: typer.Context, endpoint_id: int) -> None:
    """Remove an endpoint with its deliveries and their log."""
    WebhookStore(open_store(context)).delete_endpoint(endpoint_id)
    typer.echo(f"deleted webhook {endpoint_id}")


@webhooks_app.command("deliveries")
def deliveries(
    context: typer.Context,
    status: Annotated[str | None, typer.Option(help=f"Only {', '.join(STATUSES)} deliveries.")] = None,
    organisation: Annotated[str | None, typer.Option("--org", help="Only this organisation's.")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 100,
) -> None:
    """Newest deliveries first: id, status, attempts, event type, event id, next attempt, URL."""
    store = open_store(context)
    chosen = None if organisation is None else _organisation_id(store, organisation)
    for d in WebhookStore(store).deliveries(status=status, organisation_id=chosen, limit=limit):
        when = d.delivered_at or d.next_attempt_at
        typer.echo(
            f"{d.id}\t{d.status}\t{d.attempts}\t{d.event_type}\t{d.event_id}\t{when.isoformat()}\t{d.url}"
        )


@webhooks_app.command("attempts")
def attempts(context: typer.Context, delivery_id: int) -> None:
    """The attempt log of one delivery: time, HTTP status, error, duration."""
    webhooks = WebhookStore(open_store(context))
    webhooks.delivery(delivery_id)
    for a in webhooks.attempts(delivery_id):
        code = "-" if a.status_code is None else a.status_code
        typer.echo(f"{a.at.isoformat()}\t{code}\t{a.duration_ms:.0f} ms\t{a.error or 'ok'}")


@webhooks_app.command("redeliver")
def redeliver(context: typer.Context, delivery_id: int) -> None:
    """Send a delivery again (same event id) with a fresh attempt budget."""
    delivery = WebhookStore(open_store(context)).redeliver(delivery_id, datetime.now(UTC))
    typer.echo(f"delivery {delivery.id} pending again ({delivery.event_type} {delivery.event_id})")
