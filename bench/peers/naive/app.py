"""The talk's "web service doing ML": the census model behind FastAPI, one
predict_proba call per request, uvicorn workers = cores.

    bench/.peers/naive/.venv/bin/python bench/peers/naive/app.py --port 8000

This is the baseline the gateway is compared with, written as a data
scientist would: no batching, no queue, nothing shared between requests but
the loaded model. It serves the same artifact and column order as the
gateway's handler (models/census-income).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import joblib
import pandas as pd
from fastapi import FastAPI

MODEL_DIR = Path(__file__).resolve().parents[3] / "models" / "census-income"
sys.path.insert(0, str(MODEL_DIR))
from features import FEATURES  # noqa: E402  (the model's own column order)

app = FastAPI(title="census-income, naive")
model = joblib.load(MODEL_DIR / "artifacts" / "model.joblib")


@app.get("/health")
def health() -> dict[str, bool]:
    return {"ready": True}


@app.post("/predict")
def predict(row: dict[str, Any]) -> dict[str, Any]:
    # A plain `def` route: FastAPI runs it in its thread pool, the usual way
    # to call blocking model code from an async server.
    proba = model.predict_proba(pd.DataFrame([row], columns=FEATURES))[0]
    best = int(proba.argmax())
    return {"probability": float(proba[best]), "income": str(model.classes_[best])}


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    os.chdir(Path(__file__).parent)
    uvicorn.run("app:app", host=args.host, port=args.port, workers=args.workers, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
