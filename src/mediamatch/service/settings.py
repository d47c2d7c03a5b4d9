"""Typed service settings from a TOML file and ``MEDIAMATCH_*`` environment variables.

Every setting has one name: the field's name is its key in the file's ``[service]`` table, and
``MEDIAMATCH_`` plus the name in capitals is its variable (``db``: ``MEDIAMATCH_DB``, which is also
what ``--db`` sets). Precedence: environment over file over defaults. An unknown key is refused
with the nearest valid name. Outside ``development`` an insecure configuration is refused at
start-up: the key pepper must be set, at least 32 characters, and not a placeholder.
``docs/mediamatch.example.toml`` shows every setting with its default.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediamatch.configfile import read_service_table
from mediamatch.errors import MediamatchError
from mediamatch.media import DecodeBudget, DecodeOptions
from mediamatch.reporting.ncmec import PRODUCTION_URL, TEST_URL
from mediamatch.service.fetch import FetchPolicy

PLACEHOLDERS = ("change-me", "changeme", "secret", "password", "example", "development")
DEVELOPMENT_PEPPER = "development only: not a secret"


class InsecureSettings(MediamatchError):
    """The settings would run the service unsafely outside development."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service reads at start-up; see the README for each field."""

    environment: str = "development"
    db: str | None = None
    """Database URL; none: SQLite in the user's data folder."""
    key_pepper: str = DEVELOPMENT_PEPPER
    max_item_bytes: int = 32 * 1024 * 1024
    max_request_bytes: int = 64 * 1024 * 1024
    max_batch: int = 100
    max_item_pixels: int = 100_000_000
    """The largest picture an item may declare, in pixels; refused with 413 from its header."""
    decode_budget_bytes: int = 2 * 1024 * 1024 * 1024
    """Memory one service process lets pictures take while they decode at the same time."""
    decode_wait_seconds: float = 10.0
    """How long an item waits for room in the decode budget before a 503 with ``Retry-After``."""
    index_dir: str = ""
    """Folder of index snapshots, shared by the processes of a host: one builds, the others map
    the same files (one copy of the PDQ index in memory, not one per worker). Empty: the user's
    cache folder; ``none``: no snapshots, each process builds its own from the database."""
    index_refresh_seconds: float = 0.5
    """How often a process reads the store's revision and applies any changes to its index."""
    index_max_age_seconds: float = 60.0
    """``/status/ready`` answers 503 once the index was last confirmed current longer ago than
    this (the database away, say); must exceed ``index_refresh_seconds``."""
    audit_queue_limit: int = 100_000
    """Audit records a process holds while the database is away; past it ``/v1`` requests get 503."""
    fetch_allowed_hosts: str = ""
    """Comma-separated hosts or networks that URL inputs may reach although they are not public."""
    fetch_timeout_seconds: float = 10.0
    fetch_max_redirects: int = 3
    webhook_allowed_hosts: str = ""
    """Comma-separated hosts or networks webhook URLs may reach although they are not public."""
    webhook_timeout_seconds: float = 10.0
    webhook_max_attempts: int = 8
    webhook_retry_seconds: float = 30.0
    """Wait after the first failed attempt; it doubles after each further one (at most an hour)."""
    webhook_poll_seconds: float = 1.0
    quarantine_disputes: int = 2
    """Distinct organisations whose disputes quarantine an entry."""
    key_cache_seconds: float = 2.0
    """How long a verified key is reused: a revocation takes effect within this time."""
    redis_url: str = ""
    """Redis that every worker and replica keeps rate limits and quotas in (``redis://host:6379/0``);
    empty: each process keeps its own."""
    default_rate_per_minute: int = 600
    default_monthly_quota: int = -1
    """Items per key per calendar month unless the key sets its own; negative: unlimited."""
    ncmec_url: str = PRODUCTION_URL
    """NCMEC's reporting service for reports made with live keys."""
    ncmec_username: str = ""
    ncmec_password: str = ""
    ncmec_test_url: str = TEST_URL
    """NCMEC's test environment, for reports made with test keys."""
    ncmec_test_username: str = ""
    ncmec_test_password: str = ""
    ncmec_timeout_seconds: float = 60.0
    ncmec_backoff_seconds: float = 1.0
    """The first pause before a retry to NCMEC; each further retry waits twice as long."""
    report_max_file_bytes: int = 1024 * 1024 * 1024
    """The largest file a report may send to NCMEC (streamed through, never stored)."""
    resilience: bool = True
    """Match uploads and fetched media through the resilience stage (flips, borders, screenshots, crops)."""
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1

    def checked(self) -> Settings:
        """This settings object, or InsecureSettings naming what to fix: ranges in every
        environment, and the security rules outside development."""
        if self.environment not in ("development", "production"):
            raise InsecureSettings(f"environment must be development or production, not {self.environment!r}")
        self._check_ranges()
        if self.environment != "development":
            self._check_production()
        return self

    def _check_ranges(self) -> None:
        """Values that no environment can run with."""
        if self.webhook_max_attempts < 1 or self.quarantine_disputes < 1:
            raise InsecureSettings("webhook_max_attempts and quarantine_disputes must be at least 1")
        if self.webhook_retry_seconds < 0 or self.webhook_poll_seconds <= 0:
            raise InsecureSettings("webhook_retry_seconds must be >= 0 and webhook_poll_seconds > 0")
        if not 0 < self.index_refresh_seconds < self.index_max_age_seconds:
            raise InsecureSettings("index_refresh_seconds must be > 0 and below index_max_age_seconds")
        if self.audit_queue_limit < 1:
            raise InsecureSettings("audit_queue_limit must be at least 1")
        if self.max_item_pixels < 1 or self.decode_budget_bytes < 1 or self.decode_wait_seconds < 0:
            raise InsecureSettings(
                "max_item_pixels and decode_budget_bytes must be positive, decode_wait_seconds >= 0"
            )

    def _check_production(self) -> None:
        """What production refuses although development allows it."""
        pepper = self.key_pepper.strip()
        if pepper == DEVELOPMENT_PEPPER or len(pepper) < 32 or any(p in pepper.lower() for p in PLACEHOLDERS):
            raise InsecureSettings("set MEDIAMATCH_KEY_PEPPER to a random secret of at least 32 characters")
        if self.default_rate_per_minute < 1:
            raise InsecureSettings("default_rate_per_minute must be at least 1")
        if not (self.ncmec_url.startswith("https://") and self.ncmec_test_url.startswith("https://")):
            raise InsecureSettings("ncmec_url and ncmec_test_url must be https:// outside development")
        if self.max_batch < 1 or self.max_item_bytes < 1 or self.max_request_bytes < self.max_item_bytes:
            raise InsecureSettings("limits must be positive and max_request_bytes >= max_item_bytes")

    @classmethod
    def load(cls, path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
        """Defaults, then the TOML file (``path`` or $MEDIAMATCH_CONFIG), then the environment."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        config = path or (Path(environ["MEDIAMATCH_CONFIG"]) if environ.get("MEDIAMATCH_CONFIG") else None)
        if config is not None:
            values.update(read_service_table(config))
        known = [field.name for field in dataclasses.fields(cls)]
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise InsecureSettings(
                f"unknown settings in {config}: {'; '.join(_unknown(n, known) for n in unknown)}"
            )
        for name in known:
            if variable(name) in environ:
                values[name] = environ[variable(name)]
        return cls(**{k: _coerce(cls, k, v) for k, v in values.items()}).checked()


def variable(setting: str) -> str:
    """The environment variable of a setting: ``MEDIAMATCH_`` and its name in capitals."""
    return f"MEDIAMATCH_{setting.upper()}"


def _unknown(name: str, known: list[str]) -> str:
    nearest = RENAMED.get(name) or next(iter(difflib.get_close_matches(name, known, n=1, cutoff=0.6)), None)
    return (
        f"{name!r} (did you mean {nearest!r}?)" if nearest else f"{name!r} (see docs/mediamatch.example.toml)"
    )


RENAMED = {"database_url": "db", "database": "db", "url": "db", "pepper": "key_pepper"}
"""Names people reach for, or that earlier releases used, and the setting each means."""


def _coerce(cls: type[Settings], name: str, value: Any) -> Any:
    default = next(f.default for f in dataclasses.fields(cls) if f.name == name)
    if value is None:
        return value
    if isinstance(default, bool):
        return _boolean(name, value)
    try:
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
    except ValueError:
        raise InsecureSettings(f"setting {name} must be a number, not {value!r}") from None
    return str(value)


def _boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise InsecureSettings(f"setting {name} must be true or false, not {value!r}")


def decode_options(settings: Settings, budget: DecodeBudget) -> DecodeOptions:
    """How the service decodes uploads: its byte and pixel caps, within the process's budget."""
    return DecodeOptions(
        max_bytes=settings.max_item_bytes, max_pixels=settings.max_item_pixels, budget=budget
    )


def fetch_policy(settings: Settings) -> FetchPolicy:
    allowed = tuple(h.strip() for h in settings.fetch_allowed_hosts.split(",") if h.strip())
    return FetchPolicy(
        settings.max_item_bytes, settings.fetch_timeout_seconds, settings.fetch_max_redirects, allowed
    )
