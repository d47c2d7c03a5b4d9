"""Settings: defaults, TOML file, environment on top, and refusal of insecure production settings."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mediamatch.configfile import ConfigError
from mediamatch.service.app import create_app
from mediamatch.service.settings import InsecureSettings, Settings

STRONG = "k" * 20 + "9f8e7d6c5b4a3f2e1d0c"


def test_file_then_environment(tmp_path: Path) -> None:
    config = tmp_path / "mediamatch.toml"
    config.write_text('[service]\nmax_batch = 50\nport = 9000\nfetch_allowed_hosts = "10.0.0.0/8"\n')
    settings = Settings.load(config, {"MEDIAMATCH_PORT": "9100", "MEDIAMATCH_DB": "sqlite:///x.db"})
    assert (settings.max_batch, settings.port, settings.db) == (50, 9100, "sqlite:///x.db")
    assert settings.fetch_allowed_hosts == "10.0.0.0/8"
    assert Settings.load(environ={"MEDIAMATCH_CONFIG": str(config)}).max_batch == 50


@pytest.mark.parametrize(
    "environ",
    [
        {"MEDIAMATCH_ENVIRONMENT": "production"},
        {
            "MEDIAMATCH_ENVIRONMENT": "production",
            "MEDIAMATCH_KEY_PEPPER": "change-me-change-me-change-me-change-me",
        },
        {"MEDIAMATCH_ENVIRONMENT": "production", "MEDIAMATCH_KEY_PEPPER": "short"},
        {"MEDIAMATCH_ENVIRONMENT": "staging"},
        {"MEDIAMATCH_MAX_BATCH": "many"},
        {"MEDIAMATCH_WEBHOOK_MAX_ATTEMPTS": "0"},
        {"MEDIAMATCH_QUARANTINE_DISPUTES": "0"},
        {"MEDIAMATCH_WEBHOOK_POLL_SECONDS": "0"},
        {"MEDIAMATCH_RESILIENCE": "maybe"},
    ],
)
def test_insecure_or_malformed_settings_are_refused(environ: dict[str, str]) -> None:
    with pytest.raises(InsecureSettings):
        Settings.load(environ=environ)


def test_unknown_settings_in_the_file_are_refused_with_the_nearest_name(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[service]\nmax_bach = 5\ndatabase_url = "sqlite:///x.db"\nzzz = 1\n')
    with pytest.raises(InsecureSettings) as refused:
        Settings.load(config, {})
    assert "'database_url' (did you mean 'db'?)" in str(refused.value)
    assert "'max_bach' (did you mean 'max_batch'?)" in str(refused.value)
    assert "'zzz' (see docs/mediamatch.example.toml)" in str(refused.value)


def test_the_database_has_one_name_in_the_file_and_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "db.toml"
    config.write_text('[service]\ndb = "sqlite:///from-file.db"\n')
    assert Settings.load(config, {}).db == "sqlite:///from-file.db"
    assert Settings.load(config, {"MEDIAMATCH_DB": "sqlite:///env.db"}).db == "sqlite:///env.db"


@pytest.mark.parametrize("text", ["[service\n", "[service]\nport = \n", "service = 3\n"])
def test_a_malformed_settings_file_is_one_clear_error(tmp_path: Path, text: str) -> None:
    config = tmp_path / "broken.toml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=r"broken\.toml"):
        Settings.load(config, {})
    with pytest.raises(ConfigError, match="cannot read"):
        Settings.load(tmp_path / "absent.toml", {})


def test_the_example_file_names_every_setting_with_its_default() -> None:
    example = Path(__file__).resolve().parents[2] / "docs" / "mediamatch.example.toml"
    text = example.read_text()
    named = {line.lstrip("# ").split(" = ")[0] for line in text.splitlines() if " = " in line}
    fields = {field.name: field.default for field in dataclasses.fields(Settings)}
    assert set(fields) - named == set()
    assert Settings.load(example, {}) == Settings()  # what it sets is the default


def test_production_with_a_real_pepper_starts(tmp_path: Path) -> None:
    settings = Settings.load(
        environ={"MEDIAMATCH_ENVIRONMENT": "production", "MEDIAMATCH_KEY_PEPPER": STRONG}
    )
    assert settings.environment == "production"
    with pytest.raises(InsecureSettings):
        create_app(Settings(environment="production", db=f"sqlite:///{tmp_path / 'x.db'}"))


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    names = [f.upper() for f in Settings.__dataclass_fields__]
    assert [name for name in names if f"`{name}`" not in readme] == []


def test_production_refuses_plain_http_to_ncmec() -> None:
    environ = {
        "MEDIAMATCH_ENVIRONMENT": "production",
        "MEDIAMATCH_KEY_PEPPER": STRONG,
        "MEDIAMATCH_NCMEC_URL": "http://report.cybertip.org/ispws",
    }
    with pytest.raises(InsecureSettings, match="https"):
        Settings.load(environ=environ)


@pytest.mark.parametrize(
    ("text", "expected"), [("false", False), ("0", False), ("off", False), ("true", True)]
)
def test_resilience_is_a_boolean_setting(text: str, expected: bool) -> None:
    assert Settings.load(environ={"MEDIAMATCH_RESILIENCE": text}).resilience is expected
    assert Settings().resilience is True


@pytest.mark.parametrize(
    "environ",
    [
        {"MEDIAMATCH_INDEX_REFRESH_SECONDS": "0"},
        {"MEDIAMATCH_INDEX_REFRESH_SECONDS": "30", "MEDIAMATCH_INDEX_MAX_AGE_SECONDS": "20"},
        {"MEDIAMATCH_AUDIT_QUEUE_LIMIT": "0"},
    ],
)
def test_ranges_are_checked_in_development_too(environ: dict[str, str]) -> None:
    with pytest.raises(InsecureSettings):
        Settings.load(environ=environ)
