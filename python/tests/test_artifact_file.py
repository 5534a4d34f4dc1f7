"""save_atomically: a reader finds the old artifact or the new one, never half of one."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from gateway_worker.artifact_file import save_atomically


def test_writes_the_file_readable_by_others(tmp_path: Path) -> None:
    target = tmp_path / "artifacts" / "model.bin"
    save_atomically(lambda file: file.write(b"new"), target)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_a_failing_writer_leaves_the_old_file_and_no_temporary_one(tmp_path: Path) -> None:
    target = tmp_path / "model.bin"
    target.write_bytes(b"old")

    def half_then_fail(file) -> None:  # type: ignore[no-untyped-def]
        file.write(b"ha")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        save_atomically(half_then_fail, target)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.bin"]
