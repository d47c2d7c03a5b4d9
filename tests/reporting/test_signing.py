"""Webhook signatures: what receivers run. Tampering, other secrets, stale and malformed headers fail."""

from __future__ import annotations

import pytest

from mediamatch.errors import InvalidSignature
from mediamatch.reporting.signing import sign, verify_signature

SECRET = "whsec_test-secret"
BODY = b'{"id":"e1","type":"match.created"}'
NOW = 1_800_000_000


def test_a_signed_body_verifies_and_yields_its_timestamp() -> None:
    header = sign(SECRET, BODY, NOW)
    assert header.startswith(f"t={NOW},v1=")
    assert verify_signature(SECRET, header, BODY, 300, now=NOW + 299) == NOW


@pytest.mark.parametrize(
    ("secret", "body"),
    [(SECRET, BODY + b" "), (SECRET, BODY.replace(b"e1", b"e2")), ("whsec_other", BODY)],
    ids=["appended", "changed", "other-secret"],
)
def test_tampered_bodies_and_other_secrets_are_refused(secret: str, body: bytes) -> None:
    with pytest.raises(InvalidSignature, match="does not match"):
        verify_signature(secret, sign(SECRET, BODY, NOW), body, now=NOW)


@pytest.mark.parametrize("offset", [301, -301, 86_400])
def test_stale_or_future_timestamps_are_refused_even_when_correctly_signed(offset: int) -> None:
    with pytest.raises(InvalidSignature, match="stale"):
        verify_signature(SECRET, sign(SECRET, BODY, NOW), BODY, 300, now=NOW + offset)


def test_a_captured_signature_cannot_be_redated() -> None:
    old = sign(SECRET, BODY, NOW)
    signature = old.split("v1=")[1]
    with pytest.raises(InvalidSignature, match="does not match"):
        verify_signature(SECRET, f"t={NOW + 600},v1={signature}", BODY, 300, now=NOW + 600)


@pytest.mark.parametrize(
    "header", ["", "v1=abc", f"t={NOW}", "t=soon,v1=ab", f"t={NOW},t={NOW},v1=ab", "garbage"]
)
def test_malformed_headers_are_refused(header: str) -> None:
    with pytest.raises(InvalidSignature):
        verify_signature(SECRET, header, BODY, now=NOW)


def test_any_of_several_signatures_may_match_during_secret_rotation() -> None:
    current = sign(SECRET, BODY, NOW).split("v1=")[1]
    header = f"t={NOW},v1={'0' * 64},v1={current}"
    assert verify_signature(SECRET, header, BODY, now=NOW) == NOW
