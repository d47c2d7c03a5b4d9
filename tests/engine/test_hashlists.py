"""Hash-list imports and exports: every format round-trips, imports are idempotent and all-or-nothing."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from mediamatch.algorithms import default_registry
from mediamatch.engine.banks import export_stream, import_file, import_stream
from mediamatch.engine.hashlists import ListFormat, detect_format
from mediamatch.errors import ImportFailed
from mediamatch.store import Classification, NewEntry, Store

REGISTRY = default_registry()
PDQ_A = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
PDQ_B = "30a10efd71cc3d429013d48d0ffffc52e34e0e17ada952a9d29685211ea9e5af"


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store(f"sqlite:///{tmp_path / 'banks.sqlite3'}")
    opened.create_bank("SOURCE")
    opened.create_bank("TARGET")
    return opened


def fill(store: Store) -> None:
    store.add_entries(
        "SOURCE",
        [
            NewEntry(
                "pdq", bytes.fromhex(PDQ_A), quality=100, classification=Classification.A1, external_id="img1"
            ),
            NewEntry("md5", bytes.fromhex(md5("a")), classification=Classification.A1, external_id="img1"),
            NewEntry("sha1", bytes.fromhex(sha1("a")), classification=Classification.A1, external_id="img1"),
            NewEntry("md5", bytes.fromhex(md5("b")), classification=Classification.B2, external_id="img2"),
            NewEntry("pdq", bytes.fromhex(PDQ_B), tags=("vics-category:1",), external_id="img3"),
        ],
    )


def hashes(store: Store, bank: str) -> set[tuple[str, bytes]]:
    return {(e.algorithm, e.hash) for e in store.entries(bank)}


CARRY_EVERY_ALGORITHM = [f for f in ListFormat if f is not ListFormat.THREATEXCHANGE_CSV]
"""ThreatExchange has no signal type for SHA-1 (tested on its own below)."""


@pytest.mark.parametrize("list_format", CARRY_EVERY_ALGORITHM)
def test_every_format_round_trips_and_reimporting_adds_nothing(store: Store, list_format: ListFormat) -> None:
    fill(store)
    buffer = io.BytesIO()
    written = export_stream(store, REGISTRY, "SOURCE", buffer, list_format)
    assert written == 5
    buffer.seek(0)
    assert detect_format(buffer) is list_format
    report = import_stream(store, REGISTRY, "TARGET", io.BytesIO(buffer.getvalue()), list_format)
    assert report.added == 5
    assert hashes(store, "TARGET") == hashes(store, "SOURCE")
    again = import_stream(store, REGISTRY, "TARGET", io.BytesIO(buffer.getvalue()), list_format)
    assert (again.added, again.already_present) == (0, 5)
    assert store.count_entries("TARGET") == 5


def test_metadata_survives_hma_csv(store: Store) -> None:
    fill(store)
    buffer = io.BytesIO()
    export_stream(store, REGISTRY, "SOURCE", buffer, ListFormat.HMA_CSV)
    import_stream(store, REGISTRY, "TARGET", io.BytesIO(buffer.getvalue()), ListFormat.HMA_CSV)
    source = sorted(store.entries("SOURCE"), key=lambda e: e.hash)
    target = sorted(store.entries("TARGET"), key=lambda e: e.hash)
    keep = ("classification", "tags", "external_id", "quality")
    assert [[getattr(e, k) for k in keep] for e in target] == [[getattr(e, k) for k in keep] for e in source]


def test_bad_rows_are_reported_by_line_and_nothing_is_stored(store: Store) -> None:
    lines = [f"# list of md5\n{md5('1')}\n", "not-a-hash\n", f"{md5('2')}\n", "abc\n", f"{md5('3')}\n"]
    with pytest.raises(ImportFailed) as failure:
        import_stream(store, REGISTRY, "TARGET", io.BytesIO("".join(lines).encode()), ListFormat.PLAIN, "md5")
    assert [line for line, _ in failure.value.errors] == [3, 5]
    assert "line 3" in str(failure.value)
    assert str(failure.value).startswith("2 bad records read as plain")
    with pytest.raises(ImportFailed, match=r"^1 bad record read as plain"):
        import_stream(store, REGISTRY, "TARGET", io.BytesIO(b"abc\n"), ListFormat.PLAIN, "md5")
    assert store.count_entries("TARGET") == 0


def test_plain_lists_need_an_algorithm_or_self_describing_lines(store: Store) -> None:
    data = f"pdq:{PDQ_A}\nmd5:{md5('x').upper()}\n".encode()
    report = import_stream(store, REGISTRY, "TARGET", io.BytesIO(data), ListFormat.PLAIN)
    assert report.added == 2
    with pytest.raises(ImportFailed):
        import_stream(store, REGISTRY, "TARGET", io.BytesIO(PDQ_A.encode()), ListFormat.PLAIN)


NCMEC_XML = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">
    <images count="2" maxTimestamp="2026-10-24T15:10:00Z">
        <image>
            <member id="42">Example Member</member>
            <timestamp>2026-10-24T15:00:00Z</timestamp>
            <id>image1</id>
            <classification>A1</classification>
            <fingerprints>
                <md5>{md5("n1")}</md5>
                <sha1>{sha1("n1")}</sha1>
                <pdna>0a0b0c</pdna>
                <pdq>{PDQ_A}</pdq>
            </fingerprints>
        </image>
        <deletedImage>
            <member id="43">Other Member</member>
            <id>old-image</id>
        </deletedImage>
    </images>
    <videos count="1" maxTimestamp="2026-10-24T15:20:00Z">
        <video>
            <member id="42">Example Member</member>
            <id>video1</id>
            <classification>B1</classification>
            <fingerprints><md5>{md5("v1")}</md5><tmk-pdqf rel="self" href="/v2/x"/></fingerprints>
        </video>
    </videos>
</queryResult>
"""


def test_ncmec_entries_carry_classification_source_and_apply_deletions(store: Store) -> None:
    store.add_entries("TARGET", [NewEntry("md5", bytes.fromhex(md5("old")), external_id="old-image")])
    report = import_stream(store, REGISTRY, "TARGET", io.BytesIO(NCMEC_XML.encode()))
    assert (report.format, report.added, report.deleted, report.skipped_fingerprints) == (
        ListFormat.NCMEC_XML,
        4,
        1,
        2,
    )
    entries = {(e.algorithm, e.external_id): e for e in store.entries("TARGET")}
    assert set(entries) == {("md5", "image1"), ("sha1", "image1"), ("pdq", "image1"), ("md5", "video1")}
    assert entries["pdq", "image1"].classification is Classification.A1
    assert entries["md5", "video1"].classification is Classification.B1
    assert entries["md5", "image1"].source == "NCMEC member 42 (Example Member)"


def test_ncmec_errors_name_the_line(store: Store) -> None:
    broken = NCMEC_XML.replace(f"<md5>{md5('v1')}</md5>", "<md5>xyz</md5>")
    with pytest.raises(ImportFailed) as failure:
        import_stream(store, REGISTRY, "TARGET", io.BytesIO(broken.encode()))
    ((line, message),) = failure.value.errors
    assert line == broken.splitlines().index("        <video>") + 1
    assert "md5" in message
    truncated = NCMEC_XML[: len(NCMEC_XML) // 2]
    with pytest.raises(ImportFailed, match="malformed XML"):
        import_stream(store, REGISTRY, "TARGET", io.BytesIO(truncated.encode()), ListFormat.NCMEC_XML)


def vics_document(media: list[str], key: str = "value") -> bytes:
    context = '"@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Media"'
    return ("{" + context + f', "{key}": [\n' + ",\n".join(media) + "\n]}").encode()


def test_vics_media_with_alternative_hashes(store: Store) -> None:
    media = [
        f'{{"MediaID": 1, "Category": 1, "MD5": "{md5("v").upper()}", "SHA1": "{sha1("v").upper()}", '
        f'"AlternativeHashes": [{{"HashName": "PhotoDNA", "HashValue": "AAAA"}}, '
        f'{{"HashName": "PDQ", "HashValue": "{PDQ_B}"}}]}}',
        f'{{"MediaID": 2, "Category": 0, "MD5": "{md5("w")}"}}',
    ]
    report = import_stream(store, REGISTRY, "TARGET", io.BytesIO(vics_document(media)))
    assert (report.format, report.records, report.added, report.skipped_fingerprints) == (
        ListFormat.VICS_JSON,
        2,
        4,
        1,
    )
    pdq = next(e for e in store.entries("TARGET", "pdq"))
    assert (pdq.external_id, pdq.tags) == ("1", ("vics-category:1",))


def test_vics_errors_name_the_line_and_the_array_may_be_called_media(store: Store) -> None:
    media = [f'{{"MediaID": {i}, "MD5": "{md5(str(i))}"}}' for i in range(5)]
    media[3] = '{"MediaID": 3, "MD5": "zz"}'
    with pytest.raises(ImportFailed) as failure:
        import_stream(store, REGISTRY, "TARGET", io.BytesIO(vics_document(media, key="Media")))
    assert [line for line, _ in failure.value.errors] == [5]


def test_large_lists_stream_through(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    with path.open("w") as handle:
        for i in range(60_000):
            handle.write(md5(str(i)) + "\n")
    report = import_file(store, REGISTRY, "TARGET", path, algorithm="md5")
    assert (report.records, report.added) == (60_000, 60_000)
    buffer = io.BytesIO()
    assert export_stream(store, REGISTRY, "TARGET", buffer, ListFormat.PLAIN, "md5") == 60_000
    assert buffer.getvalue().count(b"\n") == 60_000


@pytest.mark.parametrize("list_format", [ListFormat.HASH_JSONL, ListFormat.HASH_CSV, ListFormat.HASH_TEXT])
def test_hash_outputs_keep_quality_and_path_and_skip_failed_files(
    store: Store, list_format: ListFormat
) -> None:
    fill(store)
    buffer = io.BytesIO()
    export_stream(store, REGISTRY, "SOURCE", buffer, list_format)
    failed = {
        ListFormat.HASH_JSONL: b'{"path": "gone.png", "error": {"kind": "OSError", "message": "x"}}\n',
        ListFormat.HASH_CSV: b"gone.png" + b"," * (4 + 2 * len(REGISTRY.names())) + b"FileNotFoundError,x\n",
        ListFormat.HASH_TEXT: b"ERROR FileNotFoundError: x  gone.png\n",
    }[list_format]
    report = import_stream(store, REGISTRY, "TARGET", io.BytesIO(buffer.getvalue() + failed))
    assert (report.format, report.added, report.skipped_fingerprints) == (list_format, 5, 1)
    keep = ("algorithm", "hash", "external_id", "quality")
    source = sorted(tuple(getattr(e, k) for k in keep) for e in store.entries("SOURCE"))
    assert sorted(tuple(getattr(e, k) for k in keep) for e in store.entries("TARGET")) == source


def test_text_paths_may_hold_spaces_and_a_failed_import_names_the_formats(store: Store) -> None:
    line = f"pdq:{PDQ_A} 100  md5:{md5('a')} -  a folder/two  spaces.jpg\n"
    import_stream(store, REGISTRY, "TARGET", io.BytesIO(line.encode()))
    assert {(e.algorithm, e.external_id, e.quality) for e in store.entries("TARGET")} == {
        ("pdq", "a folder/two  spaces.jpg", 100),
        ("md5", "a folder/two  spaces.jpg", None),
    }
    with pytest.raises(ImportFailed) as failure:
        import_stream(store, REGISTRY, "TARGET", io.BytesIO(b"path,hash\nx.jpg,abc\n"))
    message = str(failure.value)
    assert message.startswith("2 bad records read as plain (detected from its first bytes; other formats: ")
    assert all(f.value in message for f in ListFormat)


def test_degenerate_hashes_are_bad_records_unless_allowed(store: Store) -> None:
    listing = f"pdq:{PDQ_A}\npdq:{'0' * 64}\nmd5:{md5('')}\n".encode()
    with pytest.raises(ImportFailed) as refused:
        import_stream(store, REGISTRY, "TARGET", io.BytesIO(listing))
    assert [line for line, _ in refused.value.errors] == [2, 3]
    assert "--allow-degenerate" in str(refused.value)
    assert store.count_entries("TARGET") == 0
    report = import_stream(store, REGISTRY, "TARGET", io.BytesIO(listing), allow_degenerate=True)
    assert report.added == 3


THREATEXCHANGE_CSV = (
    "signal_type,signal_str,collab,category,tags\n"
    f"pdq,{PDQ_A},Sample Data,POSITIVE_CLASS,media_priority_s4 adult\n"
    f"video_md5,{md5('v')},Sample Data,POSITIVE_CLASS,\n"
    "url,https://example.com/x,Sample Data,INVESTIGATION_SEED,\n"
    f"raw_text,hello,Sample Data,POSITIVE_CLASS,\n"
)


def test_threatexchanges_csv_and_signal_lists_import_and_export_back(store: Store) -> None:
    """The header and rows ``threatexchange dataset -P --csv`` writes, and its ``-S`` lines."""
    report = import_stream(store, REGISTRY, "TARGET", io.BytesIO(THREATEXCHANGE_CSV.encode()))
    assert (report.format, report.added, report.skipped_fingerprints) == (ListFormat.THREATEXCHANGE_CSV, 2, 2)
    by_algorithm = {e.algorithm: e for e in store.entries("TARGET")}
    assert by_algorithm["pdq"].source == "Sample Data"
    assert set(by_algorithm["pdq"].tags) == {"media_priority_s4", "adult", "te-category:POSITIVE_CLASS"}
    buffer = io.BytesIO()
    export_stream(store, REGISTRY, "TARGET", buffer, ListFormat.THREATEXCHANGE_CSV)
    lines = buffer.getvalue().decode().splitlines()
    assert lines[0] == "signal_type,signal_str,collab,category,tags"
    assert sorted(lines[1:]) == sorted(THREATEXCHANGE_CSV.splitlines()[1:3])
    signals = f"pdq {PDQ_B}\nvideo_md5 {md5('w')}\n".encode()
    listed = import_stream(store, REGISTRY, "TARGET", io.BytesIO(signals))
    assert (listed.format, listed.added) == (ListFormat.PLAIN, 2)


# ThreatExchange's NCMEC client test sequence (facebook/ThreatExchange,
# python-threatexchange/threatexchange/exchanges/clients/ncmec/tests/data.py, ENTRIES_XML3 then
# ENTRIES_XML4; BSD licence), reconstructed: a video classified A1, then the update that makes it
# A2 (with an older timestamp, as there) and deletes its neighbour.
TE_ENTRIES_XML3 = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">
    <videos count="2" maxTimestamp="2019-11-25T15:10:00Z">
        <video>
            <member id="101">TX Example</member>
            <timestamp>2019-11-25T15:10:00Z</timestamp>
            <id>willupdate</id>
            <classification>A1</classification>
            <fingerprints><md5>facefacefacefacefacefacefaceface</md5></fingerprints>
        </video>
        <video>
            <member id="101">TX Example</member>
            <timestamp>2019-11-24T15:10:00Z</timestamp>
            <id>willdelete</id>
            <classification>A1</classification>
            <fingerprints><md5>bacebacebacebacebacebacebacebace</md5></fingerprints>
        </video>
    </videos>
</queryResult>
"""
TE_ENTRIES_XML4 = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">
    <videos count="2" maxTimestamp="2019-11-24T15:10:00Z">
        <video>
            <member id="101">TX Example</member>
            <timestamp>2019-11-24T15:10:00Z</timestamp>
            <id>willupdate</id>
            <classification>A2</classification>
            <fingerprints><md5>facefacefacefacefacefacefaceface</md5></fingerprints>
        </video>
        <deletedVideo>
            <member id="101">TX Example</member>
            <timestamp>2019-11-25T15:10:00Z</timestamp>
            <id>willdelete</id>
        </deletedVideo>
    </videos>
</queryResult>
"""


def test_ncmec_updates_apply_in_order_and_keep_the_entry(store: Store) -> None:
    first = import_stream(store, REGISTRY, "TARGET", io.BytesIO(TE_ENTRIES_XML3.encode()))
    assert (first.added, first.updated) == (2, 0)
    (before,) = [e for e in store.entries("TARGET") if e.external_id == "willupdate"]
    second = import_stream(store, REGISTRY, "TARGET", io.BytesIO(TE_ENTRIES_XML4.encode()))
    assert (second.added, second.already_present, second.updated, second.deleted) == (0, 0, 1, 1)
    (after,) = list(store.entries("TARGET"))
    assert (after.id, after.external_id, after.classification) == (before.id, "willupdate", Classification.A2)
    assert after.hash == bytes.fromhex("face" * 8)
    again = import_stream(store, REGISTRY, "TARGET", io.BytesIO(TE_ENTRIES_XML4.encode()))
    assert (again.added, again.already_present, again.updated) == (0, 1, 0)


def test_an_ncmec_update_drops_the_fingerprints_it_no_longer_lists(store: Store) -> None:
    listed = f"""<queryResult><images>
        <image><id>p1</id><classification>B1</classification>
        <fingerprints><md5>{md5("a")}</md5><sha1>{sha1("a")}</sha1></fingerprints></image>
    </images></queryResult>"""
    import_stream(store, REGISTRY, "TARGET", io.BytesIO(listed.encode()), ListFormat.NCMEC_XML)
    changed = listed.replace(f"<sha1>{sha1('a')}</sha1>", f"<md5>{md5('b')}</md5>").replace("B1", "A1")
    report = import_stream(store, REGISTRY, "TARGET", io.BytesIO(changed.encode()), ListFormat.NCMEC_XML)
    assert (report.added, report.updated, report.deleted) == (1, 1, 1)
    found = {(e.algorithm, e.hash.hex(), e.classification) for e in store.entries("TARGET")}
    assert found == {("md5", md5("a"), Classification.A1), ("md5", md5("b"), Classification.A1)}


def test_ncmec_videos_export_as_videos(store: Store) -> None:
    import_stream(store, REGISTRY, "TARGET", io.BytesIO(NCMEC_XML.encode()))
    written = io.BytesIO()
    export_stream(store, REGISTRY, "TARGET", written, ListFormat.NCMEC_XML)
    text = written.getvalue().decode()
    assert text.index("<images>") < text.index("<image><id>image1</id>") < text.index("</images>")
    assert text.index("<videos>") < text.index("<video><id>video1</id>") < text.index("</videos>")
    store.create_bank("COPY")
    import_stream(store, REGISTRY, "COPY", io.BytesIO(written.getvalue()))
    tags = {e.external_id: e.tags for e in store.entries("COPY")}
    assert (tags["image1"], tags["video1"]) == (("image",), ("video",))
