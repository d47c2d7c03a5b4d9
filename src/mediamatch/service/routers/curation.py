"""Curation (scope ``curate``): banks and entries of the caller's organisation.

A curator sees shared banks and its organisation's; it may change only its
organisation's banks (shared banks need ``admin``). Hash values are returned only here,
never to matching-only keys.
"""

from __future__ import annotations

import functools
import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from mediamatch.engine.banks import import_stream, refuse_degenerate
from mediamatch.engine.hashlists import ListFormat
from mediamatch.errors import BankNotFound, PermissionDenied
from mediamatch.service.auth import require
from mediamatch.service.inputs import read_body
from mediamatch.service.state import ServiceState
from mediamatch.service.work import visible
from mediamatch.store import Bank, Classification, Entry, NewEntry
from mediamatch.store.accounts import ApiKey

router = APIRouter(prefix="/v1/banks", tags=["curation"])
Curator = Annotated[ApiKey, Depends(require("curate"))]


class BankCreate(BaseModel):
    name: str = Field(description="Upper case, digits and underscores, for example ACME_KNOWN.")
    description: str = ""
    suppression: bool = False
    thresholds: dict[str, int] = Field(default_factory=dict)
    shared: bool = Field(False, description="Shared with every organisation (admin keys only).")


class EntryCreate(BaseModel):
    algorithm: str
    hash: str
    classification: str | None = None
    tags: list[str] = Field(default_factory=list)
    source: str | None = None
    external_id: str | None = None
    note: str | None = None


class EntriesCreate(BaseModel):
    entries: list[EntryCreate] = Field(max_length=10_000)
    allow_degenerate: bool = Field(
        default=False,
        description="Keep hashes that would match unrelated content (all-zero PDQ, an empty file's "
        "digest); without it they are refused with 422 DegenerateHash.",
    )


def _state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.mediamatch
    return state


def _bank_dict(bank: Bank, count: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": bank.name,
        "description": bank.description,
        "enabled": bank.enabled,
        "suppression": bank.suppression,
        "thresholds": bank.thresholds,
        "shared": bank.organisation_id is None,
        "created_at": bank.created_at.isoformat(),
    }
    if count is not None:
        out["entries"] = count
    return out


def entry_dict(state: ServiceState, entry: Entry) -> dict[str, Any]:
    algorithm = state.registry.get(entry.algorithm)
    return {
        "id": entry.id,
        "algorithm": entry.algorithm,
        "hash": algorithm.format(algorithm.from_bytes(entry.hash)),
        "classification": entry.classification.value if entry.classification else None,
        "tags": list(entry.tags),
        "source": entry.source,
        "external_id": entry.external_id,
        "added_at": entry.added_at.isoformat(),
        "note": entry.note,
    }


def readable_bank(state: ServiceState, key: ApiKey, name: str) -> Bank:
    bank = state.store.bank(name)
    if not visible(bank, key) and "admin" not in key.scopes:
        raise BankNotFound(f"no bank named {name}")
    return bank


def writable_bank(state: ServiceState, key: ApiKey, name: str) -> Bank:
    bank = readable_bank(state, key, name)
    if "admin" not in key.scopes and bank.organisation_id != key.organisation_id:
        raise PermissionDenied(f"bank {name} is shared; changing it needs the admin scope")
    return bank


@router.get("")
async def list_banks(request: Request, key: Curator) -> dict[str, Any]:
    state = _state(request)
    banks = [b for b in state.store.banks() if visible(b, key) or "admin" in key.scopes]
    return {"banks": [_bank_dict(b, state.store.count_entries(b.name)) for b in banks]}


@router.post("", status_code=201)
async def create_bank(request: Request, key: Curator, body: BankCreate) -> dict[str, Any]:
    if body.shared and "admin" not in key.scopes:
        raise PermissionDenied("creating a shared bank needs the admin scope")
    bank = _state(request).store.create_bank(
        body.name,
        description=body.description,
        suppression=body.suppression,
        thresholds=body.thresholds,
        organisation_id=None if body.shared else key.organisation_id,
    )
    return _bank_dict(bank, 0)


@router.get("/{name}")
async def show_bank(request: Request, key: Curator, name: str) -> dict[str, Any]:
    state = _state(request)
    bank = readable_bank(state, key, name)
    return {
        **_bank_dict(bank, state.store.count_entries(name)),
        "algorithms": state.store.count_by_algorithm(name),
    }


@router.get("/{name}/entries")
async def list_entries(
    request: Request,
    key: Curator,
    name: str,
    after: Annotated[int, Query(ge=0, description="Return entries with ids above this.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    state = _state(request)
    readable_bank(state, key, name)
    page: list[Entry] = []
    for entry in state.store.entries(name, after=after):
        page.append(entry)
        if len(page) == limit:
            break
    return {"entries": [entry_dict(state, e) for e in page], "next_after": page[-1].id if page else None}


@router.post("/{name}/entries", status_code=201)
async def add_entries(request: Request, key: Curator, name: str, body: EntriesCreate) -> dict[str, Any]:
    state = _state(request)
    writable_bank(state, key, name)
    entries = [
        NewEntry(
            e.algorithm,
            state.registry.get(e.algorithm).parse(e.hash).data,
            classification=Classification.parse(e.classification),
            tags=tuple(e.tags),
            source=e.source,
            external_id=e.external_id,
            note=e.note,
        )
        for e in body.entries
    ]
    if not body.allow_degenerate:
        refuse_degenerate(state.registry, entries)
    added = await run_in_threadpool(state.store.add_entries, name, entries)
    return {"added": added, "already_present": len(entries) - added}


@router.delete("/{name}/entries/{entry_id}")
async def delete_entry(request: Request, key: Curator, name: str, entry_id: int) -> dict[str, Any]:
    state = _state(request)
    bank = writable_bank(state, key, name)
    found = [e for e in state.store.get_entries([entry_id]) if e.bank_id == bank.id]
    if not found:
        raise BankNotFound(f"bank {name} has no entry {entry_id}")
    return {"deleted": state.store.delete_entries([entry_id])}


@router.post("/{name}/import")
async def import_list(
    request: Request,
    key: Curator,
    name: str,
    list_format: Annotated[ListFormat | None, Query(alias="format")] = None,
    allow_degenerate: Annotated[
        bool, Query(description="Keep degenerate hashes (refused by default).")
    ] = False,
) -> dict[str, Any]:
    """Import a hash list sent as the body; all of it or nothing (422 naming the bad lines, among
    them degenerate hashes unless ``allow_degenerate``)."""
    state = _state(request)
    writable_bank(state, key, name)
    body = await read_body(request, state.settings.max_request_bytes)
    report = await run_in_threadpool(
        functools.partial(
            import_stream,
            state.store,
            state.registry,
            name,
            io.BytesIO(body),
            list_format,
            allow_degenerate=allow_degenerate,
        )
    )
    return {
        "format": report.format.value,
        "records": report.records,
        "added": report.added,
        "already_present": report.already_present,
        "updated": report.updated,
        "deleted": report.deleted,
        "skipped_fingerprints": report.skipped_fingerprints,
    }


@router.post("/{name}/disable")
async def disable_bank(request: Request, key: Curator, name: str) -> dict[str, Any]:
    state = _state(request)
    writable_bank(state, key, name)
    return _bank_dict(state.store.update_bank(name, enabled=False))


@router.post("/{name}/enable")
async def enable_bank(request: Request, key: Curator, name: str) -> dict[str, Any]:
    state = _state(request)
    writable_bank(state, key, name)
    return _bank_dict(state.store.update_bank(name, enabled=True))


@router.delete("/{name}")
async def delete_bank(request: Request, key: Curator, name: str) -> dict[str, Any]:
    state = _state(request)
    writable_bank(state, key, name)
    count = state.store.count_entries(name)
    state.store.delete_bank(name)
    return {"deleted": name, "entries": count}
