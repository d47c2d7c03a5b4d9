"""Signing webhook bodies, and the check receivers run (our tests use it too).

A delivery carries ``Mediamatch-Signature: t=<unix seconds>,v1=<hex>`` where the hex is
``HMAC-SHA256(secret, "<t>." + body)`` over the exact bytes sent. The timestamp is signed
with the body, so an attacker who captured a delivery cannot re-date it; a receiver that
refuses timestamps older (or newer) than its tolerance and remembers the
``Mediamatch-Event-Id`` of events it processed within that window is safe from replays.
Several ``v1=`` values may appear (one per secret while a secret is being rotated); one
matching is enough.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from mediamatch.errors import InvalidSignature

SIGNATURE_HEADER = "Mediamatch-Signature"
EVENT_ID_HEADER = "Mediamatch-Event-Id"
EVENT_TYPE_HEADER = "Mediamatch-Event"
DEFAULT_TOLERANCE_S = 300


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header value for ``body`` sent at ``timestamp`` (unix seconds)."""
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures = []
    for part in header.split(","):
        name, separator, value = part.strip().partition("=")
        if not separator:
            raise InvalidSignature("malformed signature header")
        if name == "t":
            if not value.isdigit() or timestamp is not None:
                raise InvalidSignature("malformed signature timestamp")
            timestamp = int(value)
        elif name == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        raise InvalidSignature("the signature header needs t= and v1=")
    return timestamp, signatures


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    now: float | None = None,
) -> int:
    """The signed timestamp if ``header`` signs ``body`` with ``secret`` within ``tolerance_s``
    seconds of ``now`` (default: the clock); raises InvalidSignature otherwise.

    ``body`` must be the raw bytes received, before any JSON parsing.
    """
    timestamp, signatures = _parse(header)
    moment = time.time() if now is None else now
    if abs(moment - timestamp) > tolerance_s:
        raise InvalidSignature(f"signature timestamp is {moment - timestamp:.0f} s off; refused as stale")
    expected = _digest(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise InvalidSignature("signature does not match the body")
    return timestamp
