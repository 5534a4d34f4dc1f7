"""`python -u -m gateway_worker --model-dir DIR`: request frames on fd 3,
response frames on fd 4 (docs/protocol.md)."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from .worker import serve

EXIT_OK = 0
EXIT_USAGE = 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gateway_worker", description=__doc__)
    parser.add_argument("--model-dir", required=True, type=Path, help="directory holding model.json")
    parser.add_argument("--in-fd", type=int, default=3, help="fd to read request frames from")
    parser.add_argument("--out-fd", type=int, default=4, help="fd to write response frames to")
    args = parser.parse_args(argv)

    # Ctrl-C in the gateway's terminal reaches the whole process group; the
    # gateway decides when workers stop (by closing fd 3), so a batch in
    # flight is still answered instead of dying with a KeyboardInterrupt.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    try:
        requests = open(args.in_fd, "rb", buffering=64 * 1024)
        # Unbuffered: each frame goes out in one write() of header + payload.
        responses = open(args.out_fd, "wb", buffering=0)
    except OSError as exc:
        print(f"gateway_worker: fds {args.in_fd}/{args.out_fd} are not open: {exc}", file=sys.stderr)
        return EXIT_USAGE

    try:
        with requests, responses:
            return serve(args.model_dir, requests, responses)
    except BrokenPipeError:
        # The gateway closed our response pipe: it has already given up on
        # this worker, so there is nobody left to answer.
        print("gateway_worker: response pipe closed by the gateway, exiting", file=sys.stderr)
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
