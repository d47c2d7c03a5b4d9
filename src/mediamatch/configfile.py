"""The TOML settings file that the service and the command line share.

Only the file's ``[service]`` table is read; a missing or malformed file is a ``ConfigError``
naming the file, never a traceback.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from mediamatch.errors import MediamatchError

SERVICE_TABLE = "service"


class ConfigError(MediamatchError):
    """The settings file cannot be read or is not TOML."""


def read_service_table(path: Path) -> dict[str, Any]:
    """The ``[service]`` table of the TOML file at ``path`` (empty when the file has none)."""
    try:
        with path.open("rb") as handle:
            table = tomllib.load(handle).get(SERVICE_TABLE, {})
    except OSError as error:
        raise ConfigError(f"cannot read the settings file {path}: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"the settings file {path} is not valid TOML: {error}") from None
    if not isinstance(table, dict):
        raise ConfigError(f"in the settings file {path}, [{SERVICE_TABLE}] must be a table")
    return table
