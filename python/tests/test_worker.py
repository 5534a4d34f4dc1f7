from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import msgpack
import pytest

from conftest import TOY_MODELS
from gateway_worker.protocol import Kind
from worker_process import WorkerProcess


@pytest.fixture
def start(tmp_path: Path) -> Iterator:
    workers: list[WorkerProcess] = []

    def _start(model: str | Path, *, default_fds: bool = False) -> WorkerProcess:
        model_dir = TOY_MODELS / model if isinstance(model, str) else model
        log_dir = tmp_path / f"worker{len(workers)}"
        log_dir.mkdir()
        worker = WorkerProcess(model_dir, log_dir, default_fds=default_fds)
        workers.append(worker)
        return worker

    yield _start
    for worker in workers:
        worker.stop()


def start_ready(start, model: str, **kwargs) -> WorkerProcess:
    worker = start(model, **kwargs)
    kind, id, payload = worker.next_message()
    assert (kind, id) == (Kind.READY, 0), payload
    return worker


def raw_frame(kind: int, id: int, payload: bytes) -> bytes:
    return struct.pack(">IBI", 5 + len(payload), kind, id) + payload


def test_ready_payload(start) -> None:
    worker = start("echo")
    kind, id, payload = worker.next_message()
    assert (kind, id) == (Kind.READY, 0)
    assert payload == {"protocol": 1, "model": "echo", "version": "0.1.0", "pid": worker.process.pid}
    assert list(payload) == ["protocol", "model", "version", "pid"]


def test_default_fds_3_and_4(start) -> None:
    worker = start_ready(start, "echo", default_fds=True)
    worker.send(Kind.PREDICT, 1, [{"x": 1}])
    assert worker.next_message() == (Kind.RESULT, 1, [{"x": 1}])


def test_results_keep_id_and_order_for_pipelined_batches(start) -> None:
    worker = start_ready(start, "echo")
    batches = {id: [{"batch": id, "row": i} for i in range(id % 4)] for id in (7, 8, 9, 0xFFFFFFFF)}
    for id, rows in batches.items():
        worker.send(Kind.PREDICT, id, rows)
    for id, rows in batches.items():
        assert worker.next_message() == (Kind.RESULT, id, rows)


def test_large_batch_round_trips(start) -> None:
    worker = start_ready(start, "echo")
    # Far beyond a pipe's 64 KiB buffer in both directions.
    rows = [{"row": i, "text": "ünïcode " * 4, "value": i + 0.5} for i in range(20_000)]
    worker.send(Kind.PREDICT, 1, rows)
    assert worker.next_message() == (Kind.RESULT, 1, rows)


def test_print_in_model_code_goes_to_stdout_not_frames(start) -> None:
    worker = start_ready(start, "echo")
    worker.send(Kind.PREDICT, 3, [{"a": 1}, {"a": 2}])
    assert worker.next_message() == (Kind.RESULT, 3, [{"a": 1}, {"a": 2}])
    worker.close_requests()
    assert worker.wait() == 0
    assert "echo: loaded from" in worker.stdout()
    assert "echo: predicting 2 rows" in worker.stdout()


def test_handler_error_is_answered_and_loop_continues(start) -> None:
    worker = start_ready(start, "boom")
    worker.send(Kind.PREDICT, 5, [{"a": 1}, {"boom": True}])
    worker.send(Kind.PREDICT, 6, [{"a": 2}])
    assert worker.next_message() == (
        Kind.ERROR, 5, {"code": "HANDLER_ERROR", "message": "ValueError: row asked to explode"}
    )
    assert worker.next_message() == (Kind.RESULT, 6, [{"a": 2}])
    worker.stop()
    assert "Traceback" in worker.stderr()
    assert "row asked to explode" in worker.stderr()


def test_wrong_result_length(start) -> None:
    worker = start_ready(start, "wrong_length")
    worker.send(Kind.PREDICT, 9, [{"a": 1}, {"a": 2}])
    worker.send(Kind.PREDICT, 10, [{"not_list": True}])
    worker.send(Kind.PREDICT, 11, [])  # rows[:-1] of nothing is the right length
    kind, id, payload = worker.next_message()
    assert (kind, id, payload["code"]) == (Kind.ERROR, 9, "RESULT_LENGTH")
    assert "1 results for 2 rows" in payload["message"]
    kind, id, payload = worker.next_message()
    assert (kind, id, payload["code"]) == (Kind.ERROR, 10, "RESULT_LENGTH")
    assert "must return a list with one result per row, got dict for 1 rows" in payload["message"]
    assert worker.next_message() == (Kind.RESULT, 11, [])


def test_numpy_results_are_converted(start) -> None:
    worker = start_ready(start, "encoding")
    worker.send(Kind.PREDICT, 1, [{}])
    assert worker.next_message() == (
        Kind.RESULT, 1,
        [{"float32": 0.5, "float64": 0.25, "int64": -3, "bool": True,
          "array": [0, 1, 2], "matrix": [[0.5, 1.5]]}],
    )


def test_unencodable_result_then_loop_continues(start) -> None:
    worker = start_ready(start, "encoding")
    worker.send(Kind.PREDICT, 2, [{"unencodable": True}])
    worker.send(Kind.PREDICT, 3, [{}])
    kind, id, payload = worker.next_message()
    assert (kind, id, payload["code"]) == (Kind.ERROR, 2, "RESULT_ENCODING")
    assert payload["message"].startswith("TypeError: ")
    kind, id, _ = worker.next_message()
    assert (kind, id) == (Kind.RESULT, 3)


@pytest.mark.parametrize(
    "frame",
    [
        raw_frame(Kind.PREDICT, 12, b"\xc1"),  # a byte MessagePack never uses
        raw_frame(Kind.PREDICT, 12, b""),  # no value at all
        raw_frame(Kind.PREDICT, 12, msgpack.packb([]) + b"\x01"),  # trailing bytes
        raw_frame(Kind.PREDICT, 12, msgpack.packb({"rows": []})),  # not an array
        raw_frame(Kind.PREDICT, 12, b"\xa3\xff\xfe\xfd"),  # str that is not UTF-8
        raw_frame(99, 12, msgpack.packb([])),  # unknown kind
        raw_frame(Kind.RESULT, 12, msgpack.packb([])),  # known kind, wrong direction
    ],
    ids=["garbage", "empty", "trailing", "not-array", "bad-utf8", "unknown-kind", "result-kind"],
)
def test_bad_frame_is_answered_and_loop_continues(start, frame: bytes) -> None:
    worker = start_ready(start, "echo")
    worker.send_raw(frame)
    worker.send(Kind.PREDICT, 13, [{"still": "alive"}])
    kind, id, payload = worker.next_message()
    assert (kind, id, payload["code"]) == (Kind.ERROR, 12, "BAD_FRAME")
    assert worker.next_message() == (Kind.RESULT, 13, [{"still": "alive"}])


def test_load_failure_sends_load_failed_and_exits_3(start) -> None:
    worker = start("load_fails")
    assert worker.next_message() == (
        Kind.ERROR, 0, {"code": "LOAD_FAILED", "message": "FileNotFoundError: no artifact in load_fails"}
    )
    assert worker.next_frame() is None
    assert worker.wait() == 3
    assert "Traceback" in worker.stderr()


def test_missing_model_dir_is_a_load_failure(start, tmp_path: Path) -> None:
    worker = start(tmp_path / "nowhere")
    kind, id, payload = worker.next_message()
    assert (kind, id, payload["code"]) == (Kind.ERROR, 0, "LOAD_FAILED")
    assert payload["message"].startswith("FileNotFoundError: ")
    assert worker.wait() == 3


def test_eof_on_requests_exits_0(start) -> None:
    worker = start_ready(start, "echo")
    worker.close_requests()
    assert worker.next_frame() is None
    assert worker.wait() == 0


def test_bad_length_is_fatal(start) -> None:
    worker = start_ready(start, "echo")
    worker.send_raw(struct.pack(">IBI", 3, Kind.PREDICT, 1))
    kind, id, payload = worker.next_message()
    assert (kind, id, payload["code"]) == (Kind.ERROR, 0, "BAD_FRAME")
    assert worker.next_frame() is None
    assert worker.wait() == 4
