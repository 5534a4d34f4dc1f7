"""Frame format between the Node gateway and a Python worker (docs/protocol.md).

The TypeScript twin lives in src/protocol/; both are held to the byte-exact
fixtures in protocol/fixtures.json.
"""

from __future__ import annotations

import struct
from enum import IntEnum
from collections.abc import Callable
from typing import Any, BinaryIO, NamedTuple

import msgpack

try:
    # msgspec decodes a batch of rows about twice as fast as msgpack (it reuses
    # one str per repeated map key): 0.7 ms less per 1024-row batch, 1.5 % of
    # the model's own time. Encoding stays with msgpack, whose bytes the
    # fixtures pin; without msgspec (a Python the user manages) msgpack decodes.
    from msgspec.msgpack import Decoder as _MsgspecDecoder
except ImportError:  # pragma: no cover - exercised by test_protocol's fallback test
    _MsgspecDecoder = None

PROTOCOL_VERSION = 1

# length (uint32, counts kind + id + payload), kind (uint8), id (uint32).
HEADER = struct.Struct(">IBI")
HEADER_SIZE = HEADER.size  # 9
# `length` covers the kind and id bytes too, so an empty payload is length 5.
MIN_LENGTH = HEADER_SIZE - 4
MAX_LENGTH = 256 * 1024 * 1024
MAX_ID = 0xFFFFFFFF


class Kind(IntEnum):
    READY = 1
    PREDICT = 2
    RESULT = 3
    ERROR = 4


class ErrorCode:
    HANDLER_ERROR = "HANDLER_ERROR"
    RESULT_LENGTH = "RESULT_LENGTH"
    RESULT_ENCODING = "RESULT_ENCODING"
    BAD_FRAME = "BAD_FRAME"
    LOAD_FAILED = "LOAD_FAILED"


class ProtocolError(Exception):
    """The byte stream itself is broken; the reader cannot find the next frame."""


class Frame(NamedTuple):
    kind: int
    id: int
    # Still MessagePack: decoding is left to the caller so that a payload which
    # does not decode can be answered with BAD_FRAME for that id.
    payload: bytes


def to_builtin(obj: Any) -> Any:
    """`default=` hook: NumPy scalars and arrays become Python numbers and lists.

    Duck-typed on the class's module so the worker does not need NumPy installed.
    """
    if type(obj).__module__ == "numpy":
        tolist = getattr(obj, "tolist", None)
        if tolist is not None:
            return tolist()
    raise TypeError(f"can not serialize {type(obj).__name__!r} object")


# One packer for the process: it reuses its internal buffer between frames and
# resets it when packing fails, so a bad result cannot leak into the next frame.
# Not thread-safe, which is fine for the single-threaded worker loop.
_packer = msgpack.Packer(use_bin_type=True, default=to_builtin)


def encode_payload(payload: Any) -> bytes:
    return _packer.pack(payload)


def decode_payload_msgpack(data: bytes) -> Any:
    """The reference decoder, and the one used when msgspec is not installed."""
    return msgpack.unpackb(data, raw=False)


# Raises on anything that is not exactly one MessagePack value (bad bytes, a
# truncated value, trailing bytes, invalid UTF-8), like msgpack; it is more
# lenient only in accepting map keys other than strings, which the gateway
# never sends.
decode_payload: Callable[[bytes], Any] = _MsgspecDecoder().decode if _MsgspecDecoder is not None else decode_payload_msgpack


def encode_frame(kind: int, id: int, payload: Any) -> bytes:
    """Header and payload as one buffer, so the writer can send it in one write."""
    body = encode_payload(payload)
    length = MIN_LENGTH + len(body)
    if length > MAX_LENGTH:
        raise ValueError(f"frame of {length} bytes exceeds the {MAX_LENGTH}-byte limit")
    return HEADER.pack(length, kind, id) + body


def decode_frame(data: bytes) -> tuple[int, int, Any]:
    """Decode exactly one complete frame (used by tests and fixtures)."""
    if len(data) < HEADER_SIZE:
        raise ProtocolError(f"frame of {len(data)} bytes is shorter than its header")
    length, kind, id = HEADER.unpack_from(data)
    _check_length(length)
    if length + 4 != len(data):
        raise ProtocolError(f"frame declares {length + 4} bytes but has {len(data)}")
    return kind, id, decode_payload(data[HEADER_SIZE:])


def _check_length(length: int) -> None:
    if length < MIN_LENGTH or length > MAX_LENGTH:
        raise ProtocolError(
            f"frame length {length} outside [{MIN_LENGTH}, {MAX_LENGTH}]"
        )


class FrameReader:
    """Reads frames from a binary stream (a pipe in production)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def read(self) -> Frame | None:
        """The next frame, or None on a clean EOF between frames.

        Raises ProtocolError on a bad length or on EOF inside a frame.
        """
        header = self._read_exactly(HEADER_SIZE, at_boundary=True)
        if header is None:
            return None
        length, kind, id = HEADER.unpack(header)
        _check_length(length)
        payload = self._read_exactly(length - MIN_LENGTH, at_boundary=False)
        assert payload is not None
        return Frame(kind, id, payload)

    def _read_exactly(self, size: int, *, at_boundary: bool) -> bytes | None:
        # A raw (unbuffered) stream may return short reads; keep reading until
        # the frame is complete or the stream ends.
        chunk = self._stream.read(size)
        if len(chunk) == size:
            return chunk
        parts = [chunk]
        got = len(chunk)
        while got < size:
            chunk = self._stream.read(size - got)
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
        if got == size:
            return b"".join(parts)
        if got == 0 and at_boundary:
            return None
        raise ProtocolError(f"stream ended inside a frame ({got} of {size} bytes)")


class FrameWriter:
    """Writes whole frames to a binary stream and flushes each one.

    Flushing per frame matters: the gateway waits for this exact answer, and
    nothing else may follow soon to push it out of a buffer.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def write(self, kind: int, id: int, payload: Any) -> None:
        self.write_encoded(encode_frame(kind, id, payload))

    def write_encoded(self, frame: bytes) -> None:
        # An unbuffered stream may accept only part of a large frame in one
        # call; normally the loop runs once, i.e. a single write per frame.
        view = memoryview(frame)
        while view:
            written = self._stream.write(view)
            if written is None:
                raise BlockingIOError("frame stream is non-blocking and full")
            view = view[written:]
        self._stream.flush()
