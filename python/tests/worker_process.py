"""A real `python -m gateway_worker` subprocess wired to pipes, for tests."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, BinaryIO

from conftest import PYTHON_DIR
from gateway_worker.protocol import Frame, FrameReader, ProtocolError, decode_payload, encode_frame

TIMEOUT = 20.0

# Puts the pipes on fds 3 and 4 itself, then execs the worker with its default
# fds: exercises the spec's layout without a preexec_fn (unsafe with threads).
_LAUNCHER = (
    "import fcntl, os, sys\n"
    # Park both pipes above 10 first: either may itself be fd 3 or 4.
    "parked = [fcntl.fcntl(int(fd), fcntl.F_DUPFD, 10) for fd in sys.argv[1:3]]\n"
    "for fd in sys.argv[1:3]: os.close(int(fd))\n"
    "for target, fd in zip((3, 4), parked): os.dup2(fd, target); os.close(fd)\n"
    "os.execv(sys.executable, [sys.executable, *sys.argv[3:]])\n"
)


class WorkerProcess:
    def __init__(self, model_dir: Path, log_dir: Path, *, default_fds: bool = False) -> None:
        request_read, request_write = os.pipe()
        response_read, response_write = os.pipe()
        worker = ["-u", "-m", "gateway_worker", "--model-dir", str(model_dir)]
        if default_fds:
            command = [sys.executable, "-c", _LAUNCHER, str(request_read), str(response_write), *worker]
        else:
            command = [sys.executable, *worker, "--in-fd", str(request_read), "--out-fd", str(response_write)]

        self.stdout_path = log_dir / "worker.stdout"
        self.stderr_path = log_dir / "worker.stderr"
        # Files, not pipes: nobody has to drain them while the test runs.
        with open(self.stdout_path, "wb") as stdout, open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                pass_fds=(request_read, response_write),
                env={**os.environ, "PYTHONPATH": str(PYTHON_DIR)},
            )
        # Only the worker may hold these ends, or EOF would never be seen.
        os.close(request_read)
        os.close(response_write)

        self._requests: BinaryIO | None = open(request_write, "wb", buffering=0)
        self._frames: queue.Queue[Frame | None | ProtocolError] = queue.Queue()
        # A thread drains responses so a large answer never blocks the worker
        # while the test is still writing a large request.
        threading.Thread(target=self._drain, args=(open(response_read, "rb"),), daemon=True).start()

    def _drain(self, stream: BinaryIO) -> None:
        with stream:
            reader = FrameReader(stream)
            while True:
                try:
                    frame = reader.read()
                except ProtocolError as exc:
                    self._frames.put(exc)
                    return
                self._frames.put(frame)
                if frame is None:
                    return

    def send(self, kind: int, id: int, payload: Any) -> None:
        self.send_raw(encode_frame(kind, id, payload))

    def send_raw(self, data: bytes) -> None:
        assert self._requests is not None, "requests already closed"
        self._requests.write(data)

    def next_frame(self) -> Frame | None:
        """The next response frame (None once the worker closed fd 4)."""
        item = self._frames.get(timeout=TIMEOUT)
        if isinstance(item, ProtocolError):
            raise item
        return item

    def next_message(self) -> tuple[int, int, Any]:
        frame = self.next_frame()
        assert frame is not None, f"worker closed its output; stderr:\n{self.stderr()}"
        return frame.kind, frame.id, decode_payload(frame.payload)

    def close_requests(self) -> None:
        if self._requests is not None:
            self._requests.close()
            self._requests = None

    def wait(self) -> int:
        return self.process.wait(timeout=TIMEOUT)

    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        self.close_requests()
        try:
            self.process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
