"""Bounded batch input: ZIP bombs, path tricks, nested archives, counts and sizes are refused one by one."""

from __future__ import annotations

import io
import zipfile

import pytest

from mosaics_match.inputs.batch import BatchError, BatchLimits, collect, read_zip, usable


def _zip(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _problems(items) -> dict[str, str]:
    return {i.name: i.problem for i in items if i.problem}


def test_plain_zip_gives_every_file_in_order():
    items = read_zip(_zip({"a.json": b"{}", "dir/b.jwt": b"x.y.z", "c.png": b"\x89PNG"}))
    assert [i.name for i in items] == ["a.json", "dir/b.jwt", "c.png"]
    assert all(i.ok for i in items)


def test_path_tricks_links_and_nested_archives_are_refused():
    inner = _zip({"x.json": b"{}"})
    data = _zip({"../up.json": b"{}", "/abs.json": b"{}", "C:/win.json": b"{}", "ok.json": b"{}",
                 "nested.zip": inner, "__MACOSX/._ok.json": b"junk", ".hidden": b"x"})
    # a symbolic link entry (Unix mode in the external attributes)
    buf = io.BytesIO(data)
    with zipfile.ZipFile(buf, "a") as zf:
        info = zipfile.ZipInfo("link.json")
        info.external_attr = (0o120777 << 16)
        zf.writestr(info, "/etc/passwd")
    items = read_zip(buf.getvalue())
    problems = _problems(items)
    assert "climbs out" in problems["../up.json"]
    assert "absolute" in problems["/abs.json"] and "absolute" in problems["C:/win.json"]
    assert "archives inside" in problems["nested.zip"]
    assert "link" in problems["link.json"]
    assert [i.name for i in usable(items)] == ["ok.json"]
    assert not any("MACOSX" in i.name or i.name == ".hidden" for i in items)


def test_zip_bomb_is_stopped_by_actual_bytes_not_the_header():
    limits = BatchLimits(max_file_bytes=1_000_000)
    bomb = _zip({"bomb.json": b"0" * 50_000_000, "fine.json": b"{}"})
    assert len(bomb) < 100_000
    items = read_zip(bomb, limits=limits)
    problems = _problems(items)
    assert "bomb.json" in problems and ("larger than" in problems["bomb.json"] or "bomb" in problems["bomb.json"])
    assert [i.name for i in usable(items)] == ["fine.json"]


def test_lying_header_sizes_do_not_help():
    # Claim a tiny size in the central directory; the reader counts what really comes out.
    data = bytearray(_zip({"liar.json": b"A" * 3_000_000}))
    limits = BatchLimits(max_file_bytes=100_000, max_ratio=10_000)
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24:cd + 28] = (10).to_bytes(4, "little")  # uncompressed size in the central directory
    items = read_zip(bytes(data), limits=limits)
    assert not usable(items)
    assert items and items[0].problem


def test_high_compression_ratio_is_refused():
    limits = BatchLimits(max_file_bytes=4_000_000, max_ratio=50)
    items = read_zip(_zip({"r.json": b"{" + b" " * 2_000_000 + b"}"}), limits=limits)
    assert "zip bomb" in (items[0].problem or "")


def test_counts_and_total_size_are_bounded():
    limits = BatchLimits(max_files=3, max_entries=50, max_total_bytes=10_000)
    items = read_zip(_zip({f"f{i}.json": b"{}" for i in range(5)}), limits=limits)
    assert len(usable(items)) == 3
    assert sum(1 for i in items if i.problem and "already has 3" in i.problem) == 2
    with pytest.raises(BatchError, match="entries"):
        read_zip(_zip({f"f{i}.json": b"{}" for i in range(60)}), limits=limits)
    big = collect([(f"{i}.json", b"x" * 4_000) for i in range(4)], limits=limits)
    assert len(usable(big)) == 2 and "too large in total" in (big[2].problem or "")


def test_collect_mixes_files_and_zips_and_reports_unreadable_zips():
    items = collect([("a.json", b"{}"), ("pack.zip", _zip({"b.json": b"{}"})), ("bad.zip", b"PK\x03\x04broken"),
                     ("a.json", b"{}")])
    names = [i.name for i in items]
    assert names == ["a.json", "pack.zip/b.json", "bad.zip", "a.json (2)"]
    assert "not a readable ZIP" in (items[2].problem or "")


def test_encrypted_and_oversized_uploads_are_refused():
    data = bytearray(_zip({"secret.json": b"{}"}, method=zipfile.ZIP_STORED))
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 8] |= 0x1  # the encrypted flag in the central directory
    items = read_zip(bytes(data))
    assert "encrypted" in (items[0].problem or "")
    limits = BatchLimits(max_upload_bytes=1000, max_file_bytes=500)
    with pytest.raises(BatchError, match="larger than"):
        read_zip(b"PK\x03\x04" + b"0" * 2000, limits=limits)
    out = collect([("big.json", b"x" * 800)], limits=limits)
    assert "larger than" in (out[0].problem or "")
