"""Property-based fuzzing of the worker's side of the protocol (hypothesis).

Whatever bytes the gateway's pipe brings, the reader yields frames or raises
ProtocolError, and the worker answers every frame with a RESULT or ERROR
frame of the same id, without raising; valid frames survive any chunking.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import TOY_MODELS
from gateway_worker.loader import load_model
from gateway_worker.protocol import (
    HEADER_SIZE,
    MAX_ID,
    ErrorCode,
    Frame,
    FrameReader,
    Kind,
    ProtocolError,
    decode_frame,
    decode_payload,
    encode_frame,
)
from gateway_worker.worker import answer
from test_protocol import ChunkedStream
from worker_process import WorkerProcess

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ERROR_CODES = {ErrorCode.HANDLER_ERROR, ErrorCode.RESULT_LENGTH, ErrorCode.RESULT_ENCODING, ErrorCode.BAD_FRAME}

ids = st.integers(min_value=0, max_value=MAX_ID)
kinds = st.sampled_from([0, Kind.READY, Kind.PREDICT, Kind.RESULT, Kind.ERROR, 5, 255])


def raw_frame(kind: int, id: int, payload: bytes) -> bytes:
    return struct.pack(">IBI", 5 + len(payload), kind, id) + payload


# MessagePack prefixes that announce huge or odd things: array32/map32/str32/bin32
# of 2^32-1 items, ext types, a never-used byte, deep nesting, a map keyed by an array.
hostile_prefixes = st.sampled_from([
    b"\xdd\xff\xff\xff\xff", b"\xdf\xff\xff\xff\xff", b"\xdb\xff\xff\xff\xff", b"\xc6\x7f\xff\xff\xff",
    b"\xc9\x7f\xff\xff\xff\x01", b"\xd7\xff" + bytes(8), b"\xd4\x01\x00", b"\xc1", b"\x91" * 5000,
    b"\x91\x81\x91\x01\x02", b"\x91\x81\xa9__proto__\x01",
])
payload_bytes = st.one_of(st.binary(max_size=300), st.tuples(hostile_prefixes, st.binary(max_size=20)).map(b"".join))
json_like = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64 - 1) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
plausible_frames = st.builds(raw_frame, kinds, ids, payload_bytes)
streams = st.one_of(st.binary(max_size=2000), st.lists(st.one_of(plausible_frames, st.binary(max_size=20)), max_size=8).map(b"".join))
chunk_sizes = st.lists(st.integers(min_value=1, max_value=64), max_size=200)


def read_until_end(reader: FrameReader, total_bytes: int) -> tuple[list[Frame], ProtocolError | None]:
    frames: list[Frame] = []
    # Every frame consumes at least a header, so this bound proves the loop ends.
    for _ in range(total_bytes // HEADER_SIZE + 2):
        try:
            frame = reader.read()
        except ProtocolError as exc:
            return frames, exc
        if frame is None:
            return frames, None
        frames.append(frame)
    raise AssertionError("the reader kept returning frames past the end of its input")


@FUZZ
@given(streams, chunk_sizes)
def test_reader_yields_frames_or_protocol_error(data: bytes, sizes: list[int]) -> None:
    frames, _error = read_until_end(FrameReader(ChunkedStream(data, sizes)), len(data))
    assert sum(HEADER_SIZE + len(frame.payload) for frame in frames) <= len(data)


@FUZZ
@given(st.lists(st.tuples(kinds, ids, json_like), min_size=1, max_size=6), chunk_sizes)
def test_valid_frames_survive_any_chunking(sent: list[tuple[int, int, Any]], sizes: list[int]) -> None:
    data = b"".join(encode_frame(kind, id, payload) for kind, id, payload in sent)
    frames, error = read_until_end(FrameReader(ChunkedStream(data, sizes)), len(data))
    assert error is None
    assert [(f.kind, f.id, decode_payload(f.payload)) for f in frames] == sent


@FUZZ
@given(st.lists(st.tuples(kinds, ids, json_like), min_size=1, max_size=4), st.binary(min_size=1, max_size=64))
def test_frames_before_garbage_come_out_first(sent: list[tuple[int, int, Any]], garbage: bytes) -> None:
    data = b"".join(encode_frame(kind, id, payload) for kind, id, payload in sent) + garbage
    frames, _error = read_until_end(FrameReader(io.BytesIO(data)), len(data))
    assert [(f.kind, f.id) for f in frames[: len(sent)]] == [(kind, id) for kind, id, _ in sent]


@pytest.fixture(scope="module")
def echo_model() -> Any:
    return load_model(TOY_MODELS / "echo")


@FUZZ
@given(kind=kinds, id=ids, payload=payload_bytes)
def test_answer_is_a_result_or_error_frame_for_the_same_id(echo_model: Any, kind: int, id: int, payload: bytes) -> None:
    out_kind, out_id, out = decode_frame(answer(echo_model, Frame(kind, id, payload)))
    assert out_id == id
    assert out_kind in (Kind.RESULT, Kind.ERROR)
    if out_kind == Kind.ERROR:
        assert out["code"] in ERROR_CODES
        assert isinstance(out["message"], str)
    if kind != Kind.PREDICT:
        assert (out_kind, out["code"]) == (Kind.ERROR, ErrorCode.BAD_FRAME)


@pytest.fixture(scope="module")
def live_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcess]:
    worker = WorkerProcess(TOY_MODELS / "echo", tmp_path_factory.mktemp("fuzz-worker"))
    kind, _id, payload = worker.next_message()
    assert kind == Kind.READY, payload
    yield worker
    worker.stop()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(kind=kinds, id=ids, payload=payload_bytes)
def test_a_real_worker_answers_every_well_framed_request_and_keeps_serving(live_worker: WorkerProcess, kind: int, id: int, payload: bytes) -> None:
    live_worker.send_raw(raw_frame(kind, id, payload))
    out_kind, out_id, _ = live_worker.next_message()
    assert (out_kind, out_id) in ((Kind.RESULT, id), (Kind.ERROR, id))
    live_worker.send(Kind.PREDICT, 1, [{"still": "alive"}])
    assert live_worker.next_message() == (Kind.RESULT, 1, [{"still": "alive"}])


def test_hostile_prefixes_are_bad_frames_not_crashes(echo_model: Any) -> None:
    # The examples above may not draw every prefix; each is answered BAD_FRAME on its own.
    for prefix in (b"\xdd\xff\xff\xff\xff", b"\xdf\xff\xff\xff\xff", b"\xc1", b"\x91" * 5000, b"\x91\xa1"):
        kind, id, out = decode_frame(answer(echo_model, Frame(Kind.PREDICT, 3, prefix)))
        assert (kind, id, out["code"]) == (Kind.ERROR, 3, ErrorCode.BAD_FRAME), (prefix[:8], out)
    assert msgpack.unpackb(b"\x91" * 10 + b"\x90") is not None  # guards the test: shallow nesting decodes
