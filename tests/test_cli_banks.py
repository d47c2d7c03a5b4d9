"""Bank and match commands, run in process against a temporary SQLite database."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from mediamatch import cli
from mediamatch.algorithms import PdqAlgorithm
from mediamatch.samples import encode, synthetic_photo

RUNNER = CliRunner()
PDQ = PdqAlgorithm()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("MEDIAMATCH_INDEX_CACHE", str(tmp_path / "index-cache"))
    return ["--db", f"sqlite:///{tmp_path / 'cli.sqlite3'}"]


def run(db: list[str], *args: str) -> str:
    result = RUNNER.invoke(cli.app, [*db, *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_bank_lifecycle_and_match(db: list[str], tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(encode(synthetic_photo(3), "PNG"))
    hash_text = PDQ.format(PDQ.hash_pixels(synthetic_photo(3)).value)
    listing = tmp_path / "list.csv"
    listing.write_text(f"signal_type,signal_value,classification,external_id\npdq,{hash_text},A1,case-7\n")
    assert "created bank KNOWN" in run(
        db, "bank", "create", "KNOWN", "--description", "test", "--threshold", "pdq=20"
    )
    assert "1 entries added" in run(db, "bank", "import", "KNOWN", str(listing))
    assert "0 entries added, 1 already present" in run(db, "bank", "import", "KNOWN", str(listing))
    assert "KNOWN\t1 entries\tenabled\ttest" in run(db, "bank", "list")
    assert "thresholds: {'pdq': 20}" in run(db, "bank", "show", "KNOWN")
    record = json.loads(run(db, "match", str(photo)))
    assert record["matches"] == [
        {
            "bank": "KNOWN",
            "entry_id": 1,
            "external_id": "case-7",
            "classification": "A1",
            "algorithm": "pdq",
            "distance": 0,
            "variant": "original",
            "verified": False,  # a hash list: the hash alone decided
        }
    ]
    exported = tmp_path / "out.txt"
    run(db, "bank", "export", "KNOWN", str(exported), "--format", "plain")
    assert exported.read_text() == f"pdq:{hash_text}\n"
    run(db, "bank", "disable", "KNOWN")
    assert json.loads(run(db, "match", str(photo)))["matches"] == []
    run(db, "bank", "enable", "KNOWN")
    assert "deleted bank KNOWN (1 entries)" in run(db, "bank", "delete", "KNOWN", "--yes")


def test_add_images_and_match_with_and_without_the_resilience_stage(db: list[str], tmp_path: Path) -> None:
    folder = tmp_path / "known"
    folder.mkdir()
    photo = synthetic_photo(31, 480, 360)
    (folder / "known.png").write_bytes(encode(photo, "PNG"))
    run(db, "bank", "create", "IMAGES")
    assert "1 files, 4 entries added, 1 region hashes" in run(db, "bank", "add-images", "IMAGES", str(folder))
    assert "region hashes: 1" in run(db, "bank", "show", "IMAGES")
    mirrored = tmp_path / "mirrored.png"
    mirrored.write_bytes(encode(np.ascontiguousarray(photo[:, ::-1]), "PNG"))
    staged = json.loads(run(db, "match", str(mirrored), "--no-index-cache"))["matches"]
    assert {(m["algorithm"], m["variant"]) for m in staged} >= {("pdq", "flipy")}
    plain = json.loads(run(db, "match", str(mirrored), "--no-index-cache", "--no-resilience"))["matches"]
    assert all(m["variant"] == "original" for m in plain)
    assert [m for m in plain if m["algorithm"] == "pdq"] == []


def test_add_images_lists_files_it_cannot_read(db: list[str], tmp_path: Path) -> None:
    run(db, "bank", "create", "IMAGES")
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"no image here")
    result = RUNNER.invoke(cli.app, [*db, "bank", "add-images", "IMAGES", str(bad)])
    assert result.exit_code == 1
    assert "bad.jpg: UnsupportedMedia" in result.stderr
    assert "1 files, 0 entries added" in result.stdout


def test_bad_input_exits_2_with_a_message_and_stores_nothing(
    db: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run(db, "bank", "create", "KNOWN")
    bad = tmp_path / "bad.txt"
    bad.write_text("0" * 64 + "\nnot-a-hash\n")
    for argv in (
        ["bank", "import", "KNOWN", str(bad), "--format", "plain", "--algorithm", "pdq"],
        ["bank", "create", "lower_case"],
        ["bank", "create", "KNOWN"],
        ["bank", "show", "MISSING"],
        ["bank", "delete", "KNOWN"],
    ):
        monkeypatch.setattr("sys.argv", ["mediamatch", *db, *argv])
        with pytest.raises(SystemExit) as exit_info:
            cli.main()
        assert exit_info.value.code == cli.EXIT_UNUSABLE_INPUT, argv
        message = capsys.readouterr().err
        assert message.startswith("mediamatch: error: ")
        if argv[1] == "import":
            assert "line 2:" in message
    assert "0 entries" in run(db, "bank", "list")


def test_organisations_and_keys(db: list[str]) -> None:
    assert "created organisation acme" in run(db, "org", "create", "acme")
    result = RUNNER.invoke(
        cli.app, [*db, "keys", "create", "--org", "acme", "--scope", "match", "--name", "uploads"]
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("mm_live_")
    key_id = token.split("_")[2]
    listing = run(db, "keys", "list")
    assert f"{key_id}\tacme\tlive\tmatch\tactive\tuploads" in listing
    assert token.split("_", 3)[3] not in listing  # the secret may hold underscores
    assert f"revoked {key_id}" in run(db, "keys", "revoke", key_id)
    assert "revoked 20" in run(db, "keys", "list")


def test_the_version_and_empty_listings_say_so(tmp_path: Path) -> None:
    from mediamatch import __version__

    runner = CliRunner()
    version = runner.invoke(cli.app, ["--version"])
    assert (version.exit_code, version.stdout) == (0, f"mediamatch {__version__}\n")
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    for args, said in (
        (["bank", "list"], "no banks yet"),
        (["bank", "quarantine", "list"], "no quarantined entries"),
    ):
        listed = runner.invoke(cli.app, ["--db", url, *args])
        assert listed.exit_code == 0
        assert listed.stdout == ""  # scripts reading the listing get nothing
        assert said in listed.stderr


def test_a_bank_can_be_created_for_an_organisation(tmp_path: Path) -> None:
    from mediamatch.store import Store

    url = f"sqlite:///{tmp_path / 'owned.sqlite3'}"
    runner = CliRunner()
    assert runner.invoke(cli.app, ["--db", url, "org", "create", "acme"]).exit_code == 0
    owned = runner.invoke(cli.app, ["--db", url, "bank", "create", "ACME_ONLY", "--org", "acme"])
    assert (owned.exit_code, owned.stdout) == (0, "created bank ACME_ONLY owned by acme\n")
    shared = runner.invoke(cli.app, ["--db", url, "bank", "create", "EVERYONE"])
    assert shared.stdout == "created bank EVERYONE (shared)\n"
    store = Store(url)
    assert store.bank("ACME_ONLY").organisation_id is not None
    assert store.bank("EVERYONE").organisation_id is None
    store.close()
    unknown = runner.invoke(cli.app, ["--db", url, "bank", "create", "NOBODY", "--org", "nobody"])
    assert unknown.exit_code != 0


def test_an_exact_copy_of_a_bank_picture_matches_as_exact(db: list[str], tmp_path: Path) -> None:
    """Issue 19 item 5: add-images stores each file's MD5 and SHA-1, so the same file matches with
    distance 0 on them; a re-encoded copy matches through its perceptual hashes only."""
    from mediamatch.samples import detailed_photo

    folder, queries = tmp_path / "known", tmp_path / "queries"
    folder.mkdir()
    queries.mkdir()
    picture = detailed_photo(12, 480, 360)
    (folder / "known.png").write_bytes(encode(picture, "PNG"))
    (queries / "same.png").write_bytes((folder / "known.png").read_bytes())
    (queries / "recoded.jpg").write_bytes(encode(picture, "JPEG", quality=90))
    run(db, "bank", "create", "IMAGES")
    run(db, "bank", "add-images", "IMAGES", str(folder))
    found = {
        Path(record["path"]).name: {(m["algorithm"], m["distance"]) for m in record["matches"]}
        for record in map(json.loads, run(db, "match", str(queries)).splitlines())
    }
    assert {("md5", 0), ("sha1", 0)} <= found["same.png"]
    assert not {name for name, _ in found["recoded.jpg"]} & {"md5", "sha1"}
    assert "pdq" in {name for name, _ in found["recoded.jpg"]}
