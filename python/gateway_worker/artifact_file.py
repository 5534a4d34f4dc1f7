"""Writing an artifact so that a reader never sees half of one.

Training scripts run by the gateway (a manifest's `train`) find this package on
their PYTHONPATH: `from gateway_worker.artifact_file import save_atomically`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable


def save_atomically(write: Callable[[BinaryIO], None], path: Path) -> None:
    # A worker starting mid-training (or a gateway watching the artifact)
    # must find either the old file or the new one, never a half-written one.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            # mkstemp creates the file 0600; the gateway may run as another user.
            os.fchmod(file.fileno(), 0o644)
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
