"""The worker loop: load the model, say READY, answer every PREDICT frame."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Any, BinaryIO

from .loader import LoadedModel, load_model
from .protocol import (
    PROTOCOL_VERSION,
    ErrorCode,
    Frame,
    FrameReader,
    FrameWriter,
    Kind,
    ProtocolError,
    decode_payload,
    encode_frame,
)

EXIT_OK = 0
EXIT_LOAD_FAILED = 3
# The request stream is unreadable (bad length or cut mid-frame); the gateway
# replaces the worker, so no attempt is made to resynchronise.
EXIT_PROTOCOL_ERROR = 4


def serve(model_dir: Path, requests: BinaryIO, responses: BinaryIO) -> int:
    """Run until the request stream ends; returns the process exit status."""
    writer = FrameWriter(responses)
    try:
        model = load_model(model_dir)
    except (Exception, SystemExit) as exc:
        _log(f"loading {model_dir} failed:\n{traceback.format_exc()}")
        writer.write(Kind.ERROR, 0, _error(ErrorCode.LOAD_FAILED, _describe(exc)))
        return EXIT_LOAD_FAILED

    writer.write(
        Kind.READY,
        0,
        {
            "protocol": PROTOCOL_VERSION,
            "model": model.name,
            "version": model.version,
            "pid": os.getpid(),
        },
    )

    reader = FrameReader(requests)
    while True:
        try:
            frame = reader.read()
        except ProtocolError as exc:
            _log(f"protocol error on the request stream, exiting: {exc}")
            writer.write(Kind.ERROR, 0, _error(ErrorCode.BAD_FRAME, str(exc)))
            return EXIT_PROTOCOL_ERROR
        if frame is None:
            return EXIT_OK
        writer.write_encoded(answer(model, frame))


def answer(model: LoadedModel, frame: Frame) -> bytes:
    """The encoded RESULT or ERROR frame for one request; never raises."""
    if frame.kind != Kind.PREDICT:
        return _error_frame(frame.id, ErrorCode.BAD_FRAME, f"unexpected frame kind {frame.kind}")
    try:
        rows = decode_payload(frame.payload)
    except Exception as exc:
        return _error_frame(frame.id, ErrorCode.BAD_FRAME, f"payload did not decode: {_describe(exc)}")
    if not isinstance(rows, list):
        return _error_frame(
            frame.id, ErrorCode.BAD_FRAME, f"PREDICT payload must be an array, got {type(rows).__name__}"
        )

    try:
        results = model.predict(rows)
    except (Exception, SystemExit) as exc:
        _log(f"batch {frame.id}: predict() raised:\n{traceback.format_exc()}")
        return _error_frame(frame.id, ErrorCode.HANDLER_ERROR, _describe(exc))

    if not isinstance(results, list):
        return _error_frame(
            frame.id,
            ErrorCode.RESULT_LENGTH,
            f"predict() must return a list with one result per row, got {type(results).__name__} for {len(rows)} rows",
        )
    if len(results) != len(rows):
        return _error_frame(
            frame.id,
            ErrorCode.RESULT_LENGTH,
            f"predict() returned {len(results)} results for {len(rows)} rows; it must return one result per row",
        )

    try:
        return encode_frame(Kind.RESULT, frame.id, results)
    except Exception as exc:
        _log(f"batch {frame.id}: result could not be encoded: {_describe(exc)}")
        return _error_frame(frame.id, ErrorCode.RESULT_ENCODING, _describe(exc))


def _error_frame(id: int, code: str, message: str) -> bytes:
    return encode_frame(Kind.ERROR, id, _error(code, message))


def _error(code: str, message: str) -> dict[str, Any]:
    return {"code": code, "message": message}


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _log(message: str) -> None:
    # stderr is forwarded to the gateway log; stdout belongs to the model.
    print(f"gateway_worker[{os.getpid()}]: {message}", file=sys.stderr, flush=True)
