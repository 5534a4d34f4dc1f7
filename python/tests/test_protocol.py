from __future__ import annotations

import io
import json
import random
import struct
from typing import Any

import pytest

import make_fixtures
from gateway_worker.protocol import (
    HEADER_SIZE,
    MAX_LENGTH,
    Frame,
    FrameReader,
    FrameWriter,
    Kind,
    ProtocolError,
    decode_frame,
    decode_payload,
    decode_payload_msgpack,
    encode_frame,
    encode_payload,
)

FIXTURES = json.loads(make_fixtures.FIXTURES_PATH.read_text(encoding="utf-8"))


def typed(value: Any) -> str:
    # `1 == 1.0` and `True == 1` in Python; JSON text tells them apart.
    return json.dumps(value, ensure_ascii=False)


class ChunkedStream(io.RawIOBase):
    """Returns at most the next chunk size per read, like a pipe might."""

    def __init__(self, data: bytes, chunk_sizes: list[int]) -> None:
        self._data = data
        self._pos = 0
        self._sizes = iter(chunk_sizes)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        limit = next(self._sizes, 1)
        chunk = self._data[self._pos : self._pos + min(size, limit)]
        self._pos += len(chunk)
        return chunk


def test_fixture_file_is_up_to_date() -> None:
    assert make_fixtures.FIXTURES_PATH.read_text(encoding="utf-8") == make_fixtures.render()
    assert len(FIXTURES) >= 6


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f["name"] for f in FIXTURES])
def test_encode_matches_fixture(fixture: dict[str, Any]) -> None:
    assert encode_frame(fixture["kind"], fixture["id"], fixture["payload"]).hex() == fixture["hex"]


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f["name"] for f in FIXTURES])
def test_decode_matches_fixture(fixture: dict[str, Any]) -> None:
    kind, id, payload = decode_frame(bytes.fromhex(fixture["hex"]))
    assert (kind, id) == (fixture["kind"], fixture["id"])
    assert typed(payload) == typed(fixture["payload"])


def frames_stream() -> tuple[bytes, list[Frame]]:
    data = b"".join(bytes.fromhex(f["hex"]) for f in FIXTURES)
    expected = [
        Frame(f["kind"], f["id"], bytes.fromhex(f["hex"])[HEADER_SIZE:]) for f in FIXTURES
    ]
    return data, expected


def read_all(reader: FrameReader) -> list[Frame]:
    frames = []
    while (frame := reader.read()) is not None:
        frames.append(frame)
    return frames


@pytest.mark.parametrize("seed", range(5))
def test_reader_handles_arbitrary_chunk_boundaries(seed: int) -> None:
    data, expected = frames_stream()
    rng = random.Random(seed)
    sizes = [rng.randint(1, 40) for _ in range(len(data))]
    assert read_all(FrameReader(ChunkedStream(data, sizes))) == expected


def test_reader_handles_one_byte_reads() -> None:
    data, expected = frames_stream()
    assert read_all(FrameReader(ChunkedStream(data, [1] * len(data)))) == expected


def test_reader_returns_none_at_eof_and_stays_there() -> None:
    reader = FrameReader(io.BytesIO(b""))
    assert reader.read() is None
    assert reader.read() is None


@pytest.mark.parametrize("cut", [1, HEADER_SIZE - 1, HEADER_SIZE, HEADER_SIZE + 3])
def test_reader_raises_on_eof_mid_frame(cut: int) -> None:
    frame = bytes.fromhex(FIXTURES[1]["hex"])
    reader = FrameReader(io.BytesIO(frame + frame[:cut]))
    assert reader.read() is not None
    with pytest.raises(ProtocolError, match="inside a frame"):
        reader.read()


@pytest.mark.parametrize("length", [0, 4, MAX_LENGTH + 1, 0xFFFFFFFF])
def test_reader_rejects_bad_length(length: int) -> None:
    # No body follows: a bad length must be refused before reading (or
    # allocating) anything it announces.
    reader = FrameReader(io.BytesIO(struct.pack(">IBI", length, Kind.PREDICT, 1)))
    with pytest.raises(ProtocolError, match="frame length"):
        reader.read()


def test_reader_accepts_empty_payload() -> None:
    # Length 5 is well-framed; that the payload is no MessagePack value is for
    # the worker to answer (BAD_FRAME), not a reason to drop the stream.
    reader = FrameReader(io.BytesIO(struct.pack(">IBI", 5, Kind.PREDICT, 9)))
    assert reader.read() == Frame(Kind.PREDICT, 9, b"")


def test_numpy_values_become_python_values() -> None:
    np = pytest.importorskip("numpy")
    payload = [{"f32": np.float32(0.5), "i64": np.int64(-3), "u8": np.uint8(7),
                "bool": np.bool_(False), "array": np.array([[1, 2], [3, 4]]), "f64": np.float64(0.25)}]
    plain = [{"f32": 0.5, "i64": -3, "u8": 7, "bool": False, "array": [[1, 2], [3, 4]], "f64": 0.25}]
    assert encode_frame(Kind.RESULT, 1, payload) == encode_frame(Kind.RESULT, 1, plain)


def test_failed_encoding_does_not_leak_into_next_frame() -> None:
    with pytest.raises(TypeError):
        encode_frame(Kind.RESULT, 1, [{"ok": 1}, {"bad": object()}])
    assert encode_frame(Kind.RESULT, 2, []).hex() == "00000006030000000290"


class TrickleWriter(io.RawIOBase):
    """Accepts at most 3 bytes per write, like a raw pipe may."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, chunk: Any) -> int:
        self.data += bytes(chunk[:3])
        return min(len(chunk), 3)


def test_writer_finishes_partial_writes() -> None:
    sink = TrickleWriter()
    FrameWriter(sink).write(Kind.ERROR, 5, {"code": "BAD_FRAME", "message": "x"})
    assert bytes(sink.data) == encode_frame(Kind.ERROR, 5, {"code": "BAD_FRAME", "message": "x"})


def test_decode_frame_rejects_wrong_total_length() -> None:
    frame = bytes.fromhex(FIXTURES[0]["hex"])
    with pytest.raises(ProtocolError):
        decode_frame(frame + b"\x00")
    with pytest.raises(ProtocolError):
        decode_frame(frame[:-1])


def test_the_fast_decoder_is_in_use() -> None:
    # python/requirements.txt installs msgspec into every model venv; without
    # it the worker still runs, on msgpack, at half the decoding speed.
    pytest.importorskip("msgspec")
    assert decode_payload is not decode_payload_msgpack


CENSUS_LIKE = [{"age": 25, "workclass": "Self-emp", "fnlwgt": 2**40, "ratio": -0.5, "ok": True, "none": None, "ë😀": "\u0000"}] * 20


@pytest.mark.parametrize("payload", [f["payload"] for f in FIXTURES] + [CENSUS_LIKE, [], {}, 2**64 - 1, -(2**63), b"bin"],
                         ids=[f["name"] for f in FIXTURES] + ["rows", "empty-array", "empty-map", "uint64", "int64", "bin"])
def test_both_decoders_agree(payload: Any) -> None:
    data = encode_payload(payload)
    assert typed_any(decode_payload(data)) == typed_any(decode_payload_msgpack(data))


@pytest.mark.parametrize(
    "data",
    [b"\xc1", b"", b"\x90\x01", b"\xa3\xff\xfe\xfd", b"\xdd\xff\xff\xff\xff", b"\x92\x01", b"\x91" * 100_000 + b"\x90"],
    ids=["never-used-byte", "empty", "trailing", "bad-utf8", "huge-array", "truncated", "deep"],
)
def test_both_decoders_refuse_what_is_not_one_value(data: bytes) -> None:
    for decode in (decode_payload, decode_payload_msgpack):
        with pytest.raises(Exception):
            decode(data)


def typed_any(value: Any) -> str:
    return repr(value) if isinstance(value, bytes) else typed(value)
