"""Fetching an image from a URL a customer gave us, defensively.

Only ``http`` and ``https``. Every host (the first one and every redirect target) is
resolved and refused when any of its addresses is private, loopback, link-local,
multicast, reserved or unspecified, unless the host or network is allow-listed. At most
``max_redirects`` redirects, one overall timeout, and the body is streamed with a byte
cap. Known gap: the address is checked before connecting, so a host whose DNS answer
changes between the check and the connection (DNS rebinding) is not caught here; put the
service behind an egress proxy where that matters.
"""

from __future__ import annotations

import ipaddress
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from http.client import HTTPResponse
from urllib.parse import urljoin, urlsplit

from mediamatch.errors import ImageTooLarge, MediamatchError

READ_CHUNK = 64 * 1024


class FetchFailed(MediamatchError):
    """The URL could not be fetched, or pointed somewhere it must not."""


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    max_bytes: int
    timeout_seconds: float = 10.0
    max_redirects: int = 3
    allowed_hosts: Sequence[str] = ()
    """Host names or networks (``127.0.0.1/32``, ``10.0.0.0/8``) exempt from the address check."""


def _allowed(host: str, addresses: list[str], policy: FetchPolicy) -> bool:
    for entry in policy.allowed_hosts:
        if entry == host:
            return True
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            continue
        if all(ipaddress.ip_address(a) in network for a in addresses):
            return True
    return False


def check_destination(url: str, policy: FetchPolicy) -> None:
    """Raise FetchFailed unless ``url`` is http(s) to a public address or an allow-listed one."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchFailed(f"only http and https URLs are fetched, not {url[:100]!r}")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except OSError:
        raise FetchFailed(f"cannot resolve {parts.hostname}") from None
    addresses = sorted({str(info[4][0]) for info in infos})
    if _allowed(parts.hostname, addresses, policy):
        return
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global or ip.is_multicast:
            raise FetchFailed(f"{parts.hostname} resolves to a non-public address; refused")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _open(url: str, policy: FetchPolicy, deadline: float) -> HTTPResponse:
    opener = urllib.request.build_opener(_NoRedirects)
    for _ in range(policy.max_redirects + 1):
        check_destination(url, policy)
        remaining = max(0.1, deadline - time.monotonic())
        request = urllib.request.Request(url, headers={"User-Agent": "mediamatch"})
        try:
            response: HTTPResponse = opener.open(request, timeout=remaining)
            return response
        except urllib.error.HTTPError as error:
            if error.code in (301, 302, 303, 307, 308) and error.headers.get("Location"):
                url = urljoin(url, error.headers["Location"])
                error.close()
                continue
            error.close()
            raise FetchFailed(f"the server answered {error.code}") from None
        except (urllib.error.URLError, OSError) as error:
            raise FetchFailed(f"cannot fetch the URL: {error}") from None
    raise FetchFailed(f"more than {policy.max_redirects} redirects")


def fetch(url: str, policy: FetchPolicy) -> bytes:
    """The body at ``url`` within the policy's limits."""
    deadline = time.monotonic() + policy.timeout_seconds
    with _open(url, policy, deadline) as response:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > policy.max_bytes:
            raise ImageTooLarge(f"the URL's body of {declared} bytes exceeds the limit of {policy.max_bytes}")
        chunks, size = [], 0
        while chunk := response.read(READ_CHUNK):
            size += len(chunk)
            if size > policy.max_bytes:
                raise ImageTooLarge(f"the URL's body exceeds the limit of {policy.max_bytes} bytes")
            if time.monotonic() > deadline:
                raise FetchFailed("timed out while downloading")
            chunks.append(chunk)
    return b"".join(chunks)
