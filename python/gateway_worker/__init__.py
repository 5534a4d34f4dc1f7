"""Python side of the inference gateway: one worker process serves one model.

The wire format is specified in docs/protocol.md; `python -m gateway_worker
--model-dir DIR` runs the loop.
"""
