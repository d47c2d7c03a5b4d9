"""The command line, run in process."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from mediamatch import cli
from mediamatch.algorithms import PdqAlgorithm
from mediamatch.samples import resize
from mediamatch.testing import encode, flat_image, synthetic_photo

RUNNER = CliRunner()
PDQ = PdqAlgorithm()


@pytest.fixture
def images(tmp_path: Path) -> Path:
    (tmp_path / "nested").mkdir()
    (tmp_path / "one.png").write_bytes(encode(synthetic_photo(1), "PNG"))
    (tmp_path / "nested" / "two.jpg").write_bytes(encode(synthetic_photo(2), "JPEG", quality=95))
    (tmp_path / "nested" / "small-one.jpg").write_bytes(encode(resize(0.5)(synthetic_photo(1)), "JPEG"))
    return tmp_path


def test_hash_jsonl_has_one_record_per_file(images: Path) -> None:
    result = RUNNER.invoke(cli.app, ["hash", str(images)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [Path(r["path"]).name for r in records] == ["one.png", "small-one.jpg", "two.jpg"]
    first = records[0]
    assert first["hashes"]["pdq"] == {
        "hash": PDQ.format(PDQ.hash_pixels(synthetic_photo(1)).value),
        "quality": 100,
        "usable": True,
    }
    assert (first["media_type"], first["width"], first["height"]) == ("png", 320, 240)


def test_hash_csv_and_text_formats(images: Path) -> None:
    result = RUNNER.invoke(cli.app, ["hash", "--format", "csv", str(images / "one.png")])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert result.exit_code == 0
    assert rows[0]["pdq_quality"] == "100"
    assert len(rows[0]["pdq"]) == 64
    text = RUNNER.invoke(cli.app, ["hash", "-f", "text", str(images / "one.png")])
    assert text.stdout.split() == ["pdq:" + rows[0]["pdq"], "100", str(images / "one.png")]


def test_failed_files_get_error_records_and_a_non_zero_exit(images: Path) -> None:
    (images / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 broken")
    result = RUNNER.invoke(cli.app, ["hash", str(images), str(images / "absent.png")])
    assert result.exit_code == cli.EXIT_ITEM_FAILED
    records = {Path(r["path"]).name: r for r in map(json.loads, result.stdout.splitlines())}
    assert len(records) == 5
    assert records["broken.jpg"]["error"]["kind"] == "CorruptMedia"
    assert records["absent.png"]["error"]["kind"] == "FileNotFoundError"
    assert "2 of 5 files" in result.stderr


def test_fast_mode_is_selectable(images: Path) -> None:
    result = RUNNER.invoke(cli.app, ["hash", "--mode", "fast", str(images / "nested" / "two.jpg")])
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)["hashes"]["pdq"]["hash"]) == 64


def test_compare_files_and_hash_texts(images: Path) -> None:
    same = RUNNER.invoke(
        cli.app, ["compare", str(images / "one.png"), str(images / "nested" / "small-one.jpg")]
    )
    assert same.exit_code == 0
    assert same.stdout.startswith("pdq distance ")
    assert same.stdout.rstrip().endswith(": match")
    different = RUNNER.invoke(
        cli.app, ["compare", str(images / "one.png"), str(images / "nested" / "two.jpg")]
    )
    assert different.exit_code == cli.EXIT_NO_MATCH
    assert "no match" in different.stdout
    text = "pdq:" + PDQ.format(PDQ.hash_pixels(synthetic_photo(1)).value)
    assert RUNNER.invoke(cli.app, ["compare", text, str(images / "one.png")]).stdout.startswith(
        "pdq distance 0 "
    )


def test_compare_threshold_is_inclusive(images: Path) -> None:
    zero, one_bit = "pdq:" + "0" * 64, "pdq:" + "0" * 63 + "1"
    assert RUNNER.invoke(cli.app, ["compare", zero, one_bit, "--threshold", "1"]).exit_code == 0
    assert RUNNER.invoke(cli.app, ["compare", zero, one_bit, "--threshold", "0"]).exit_code == 1


def test_main_turns_domain_errors_into_a_message_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], images: Path
) -> None:
    for argv in (
        ["compare", "pdq:abc", "pdq:" + "0" * 64],
        ["compare", str(images / "absent.png"), "pdq:" + "0" * 64],
        ["hash", "--algorithm", "nope", str(images)],
    ):
        monkeypatch.setattr("sys.argv", ["mediamatch", *argv])
        with pytest.raises(SystemExit) as exit_info:
            cli.main()
        assert exit_info.value.code == cli.EXIT_UNUSABLE_INPUT
        assert capsys.readouterr().err.startswith("mediamatch: error: ")


def test_several_algorithms_in_one_pass(images: Path) -> None:
    result = RUNNER.invoke(cli.app, ["hash", "-a", "pdq,gradgrid144,md5,sha1", str(images / "one.png")])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert list(record["hashes"]) == ["pdq", "gradgrid144", "md5", "sha1"]
    assert len(record["hashes"]["gradgrid144"]["hash"]) == 192
    assert record["hashes"]["md5"]["quality"] is None
    header = RUNNER.invoke(cli.app, ["hash", "-f", "csv", "-a", "md5,gradgrid144", str(images / "one.png")])
    assert header.stdout.splitlines()[0].startswith(
        "path,media_type,width,height,md5,md5_quality,gradgrid144,"
    )


def test_compare_with_the_gradient_hash(images: Path) -> None:
    one, small = str(images / "one.png"), str(images / "nested" / "small-one.jpg")
    result = RUNNER.invoke(cli.app, ["compare", "-a", "gradgrid144", one, small])
    assert result.exit_code == 0
    assert result.stdout.startswith("gradgrid144 distance ")
    assert "byte steps" in result.stdout


def test_low_quality_hashes_never_match(tmp_path: Path) -> None:
    flat = tmp_path / "flat.png"
    flat.write_bytes(encode(flat_image(), "PNG"))
    other = tmp_path / "other-flat.png"
    other.write_bytes(encode(flat_image(90), "PNG"))
    for algorithm in ("pdq", "gradgrid144"):
        result = RUNNER.invoke(cli.app, ["compare", "-a", algorithm, str(flat), str(other)])
        assert result.exit_code == cli.EXIT_NO_MATCH
        assert "below the minimum" in result.stdout
    record = json.loads(RUNNER.invoke(cli.app, ["hash", "-a", "pdq,md5", str(flat)]).stdout)
    assert record["hashes"]["pdq"]["usable"] is False
    assert "usable" not in record["hashes"]["md5"]


def test_service_commands_are_listed_and_load_when_used() -> None:
    listing = RUNNER.invoke(cli.app, ["--help"])
    assert listing.exit_code == 0, listing.output
    for name in cli.LAZY_COMMANDS:
        assert name in listing.stdout
        shown = RUNNER.invoke(cli.app, [name, "--help"])
        assert shown.exit_code == 0, shown.output
        assert f"{name} [OPTIONS]" in shown.stdout


def test_starting_the_command_line_leaves_the_service_stack_and_ffmpeg_unloaded() -> None:
    """Hashing, matching and scanning start without SQLAlchemy, pydantic or uvicorn (a store loads them),
    and without PyAV's FFmpeg (the first video loads it)."""
    unloaded = "{'sqlalchemy', 'pydantic', 'uvicorn', 'av'}"
    probe = f"import sys, mediamatch.cli; print(sorted({unloaded} & set(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "url", ["postgresql://postgres@127.0.0.1:{port}/x", "sqlite:////nonexistent-folder/x.db"]
)
def test_an_unreachable_database_is_one_clear_line_and_exit_2(url: str) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-c", "from mediamatch.cli import main; main()", "--db", url.format(port=port)]
    done = subprocess.run([*command, "bank", "list"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("mediamatch: error: the database cannot be reached"), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_key_commands_read_the_services_config_and_flag_keys_of_another_pepper(tmp_path: Path) -> None:
    """The README's quick start: keys made with one configuration and listed with another show
    which pepper can verify them."""
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    config = tmp_path / "service.toml"
    config.write_text('[service]\nkey_pepper = "a production pepper of at least thirty-two characters"\n')
    runner = CliRunner()
    for args in (
        ["org", "create", "acme"],
        ["keys", "--config", str(config), "create", "--org", "acme", "--scope", "match"],
    ):
        result = runner.invoke(cli.app, ["--db", url, *args], env={"MEDIAMATCH_CONFIG": ""})
        assert result.exit_code == 0, result.output
    listed = runner.invoke(
        cli.app, ["--db", url, "keys", "--config", str(config), "list"], env={"MEDIAMATCH_CONFIG": ""}
    )
    assert listed.exit_code == 0, listed.output
    assert "\tactive\t" in listed.stdout
    plain = runner.invoke(cli.app, ["--db", url, "keys", "list"], env={"MEDIAMATCH_CONFIG": ""})
    assert "active (other pepper)" in plain.stdout


def test_serve_warns_at_start_of_keys_its_pepper_cannot_verify(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mediamatch.cli_keys import _warn_of_foreign_keys
    from mediamatch.service.settings import Settings
    from mediamatch.store import Store
    from mediamatch.store.accounts import AccountStore, Environment

    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    store = Store(url)
    development = AccountStore(store, Settings().key_pepper.encode())
    development.create_organisation("acme")
    key, _ = development.create_key("acme", "made in development", {"match"}, Environment.LIVE)
    store.close()
    _warn_of_foreign_keys(Settings(db=url))
    assert capsys.readouterr().err == ""
    _warn_of_foreign_keys(Settings(db=url, key_pepper="x" * 40))
    assert "1 active API key(s) were not made under this service's key pepper" in capsys.readouterr().err
    assert key.key_id


def test_org_list_and_show_say_what_each_organisation_holds(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    runner = CliRunner()
    empty = runner.invoke(cli.app, ["--db", url, "org", "list"], env={"MEDIAMATCH_CONFIG": ""})
    assert empty.exit_code == 0
    assert empty.stdout == ""
    assert "no organisations" in empty.stderr
    for args in (
        ["org", "create", "acme"],
        ["org", "create", "rival"],
        ["keys", "create", "--org", "acme", "--scope", "match", "--name", "uploads"],
        ["bank", "create", "ACME_OWN", "--org", "acme"],
    ):
        result = runner.invoke(cli.app, ["--db", url, *args], env={"MEDIAMATCH_CONFIG": ""})
        assert result.exit_code == 0, result.output
    listed = runner.invoke(cli.app, ["--db", url, "org", "list"], env={"MEDIAMATCH_CONFIG": ""}).stdout
    rows = [line.split("\t") for line in listed.splitlines()]
    assert [(r[0], r[2], r[3]) for r in rows] == [
        ("acme", "1 keys", "1 banks"),
        ("rival", "0 keys", "0 banks"),
    ]
    shown = runner.invoke(cli.app, ["--db", url, "org", "show", "acme"], env={"MEDIAMATCH_CONFIG": ""}).stdout
    assert shown.startswith("organisation acme, created ")
    assert "\tmatch\tactive\tuploads" in shown
    assert "bank ACME_OWN" in shown


def test_org_disable_and_enable_are_shown_and_need_a_reason(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli.app, ["--db", url, *args], env={"MEDIAMATCH_CONFIG": ""})
        assert result.exit_code == 0, result.output
        return result.stdout

    run("org", "create", "acme")
    assert run("org", "disable", "acme", "--reason", "vetting lapsed").startswith(
        "organisation acme disabled "
    )
    assert run("org", "list").split("\t")[-1].startswith("disabled ")
    assert "UTC: vetting lapsed" in run("org", "show", "acme").splitlines()[0]
    blank = runner.invoke(cli.app, ["--db", url, "org", "disable", "acme", "--reason", " "])
    assert "say why" in str(blank.exception)
    assert run("org", "enable", "acme") == "organisation acme enabled\n"
    audited = [json.loads(line) for line in run("audit").splitlines()]
    assert sorted(record["endpoint"] for record in audited) == [
        "organisation disabled",
        "organisation enabled",
    ]


def test_algorithms_lists_every_registered_algorithm_with_its_threshold() -> None:
    listing = RUNNER.invoke(cli.app, ["algorithms"]).stdout
    lines = [line.split() for line in listing.splitlines() if not line.startswith(" ")]
    assert [(words[0], words[1]) for words in lines] == [
        ("gradgrid144", "image"),
        ("md5", "file"),
        ("pdq", "image"),
        ("sha1", "file"),
        ("sha256", "file"),
        ("vpdq", "video"),
    ]
    assert "threshold 31 bits, with quality" in listing
    help_text = RUNNER.invoke(cli.app, ["hash", "--help"], env={"COLUMNS": "400"}).stdout
    assert "`mediamatch algorithms` lists them all" in help_text


def test_one_settings_file_names_the_database_for_every_command(tmp_path: Path) -> None:
    """``--config`` (or $MEDIAMATCH_CONFIG) gives bank, org and key commands the service's database."""
    url = f"sqlite:///{tmp_path / 'configured.sqlite3'}"
    config = tmp_path / "service.toml"
    config.write_text(f'[service]\ndb = "{url}"\n')
    runner = CliRunner()
    environment = {"MEDIAMATCH_CONFIG": "", "MEDIAMATCH_DB": ""}
    assert (
        runner.invoke(
            cli.app, ["--config", str(config), "bank", "create", "FROM_FILE"], env=environment
        ).exit_code
        == 0
    )
    assert (
        runner.invoke(
            cli.app, ["org", "create", "acme"], env={**environment, "MEDIAMATCH_CONFIG": str(config)}
        ).exit_code
        == 0
    )
    listed = runner.invoke(cli.app, ["--db", url, "bank", "list"], env=environment)
    assert "FROM_FILE" in listed.stdout
    assert "acme" in runner.invoke(cli.app, ["--db", url, "org", "list"], env=environment).stdout
    broken = tmp_path / "broken.toml"
    broken.write_text("[service\n")
    failed = subprocess.run(
        [
            sys.executable,
            "-c",
            "from mediamatch.cli import main; main()",
            "--config",
            str(broken),
            "bank",
            "list",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("MEDIAMATCH_")},
    )
    assert failed.returncode == cli.EXIT_UNUSABLE_INPUT
    assert failed.stderr.startswith("mediamatch: error: the settings file")
    assert failed.stderr.count("\n") == 1


def test_compare_with_resilience_matches_as_a_bank_would(tmp_path: Path) -> None:
    from mediamatch.samples import detailed_photo

    picture = detailed_photo(7, 480, 360)
    (tmp_path / "known.png").write_bytes(encode(picture, "PNG"))
    framed = np.zeros((440, 560, 3), np.uint8)  # mirrored inside a black frame
    framed[40:400, 40:520] = picture[:, ::-1]
    (tmp_path / "edited.jpg").write_bytes(encode(framed, "JPEG", quality=85))
    (tmp_path / "other.png").write_bytes(encode(detailed_photo(8, 480, 360), "PNG"))
    plain = RUNNER.invoke(cli.app, ["compare", str(tmp_path / "edited.jpg"), str(tmp_path / "known.png")])
    assert plain.exit_code == cli.EXIT_NO_MATCH
    staged = RUNNER.invoke(
        cli.app, ["compare", "--resilience", str(tmp_path / "edited.jpg"), str(tmp_path / "known.png")]
    )
    assert staged.exit_code == 0, staged.output
    assert "via " in staged.stdout
    assert "flipy" in staged.stdout
    assert staged.stdout.rstrip().endswith(": match")
    other = RUNNER.invoke(
        cli.app, ["compare", "--resilience", str(tmp_path / "other.png"), str(tmp_path / "known.png")]
    )
    assert other.exit_code == cli.EXIT_NO_MATCH
    assert "no match with the resilience stage (threshold 31, inclusive)" in other.stdout
    hashed = RUNNER.invoke(
        cli.app, ["compare", "--resilience", "pdq:" + "0" * 64, str(tmp_path / "known.png")]
    )
    assert "--resilience compares two files" in str(hashed.exception)


def test_compare_with_resilience_holds_a_copy_of_a_form_rather_than_call_it_a_match(tmp_path: Path) -> None:
    from tests.engine.test_layout import form

    page = np.ascontiguousarray(form(1))
    (tmp_path / "form.png").write_bytes(encode(page, "PNG"))
    (tmp_path / "copy.jpg").write_bytes(encode(page, "JPEG", quality=90))
    held = RUNNER.invoke(
        cli.app, ["compare", "--resilience", str(tmp_path / "copy.jpg"), str(tmp_path / "form.png")]
    )
    assert held.exit_code == cli.EXIT_NO_MATCH
    assert "held, not a match: A is layout-dominated" in held.stdout
