/**
 * The frame layout shared with `python/gateway_worker/protocol.py`; see
 * docs/protocol.md. Both sides are tested against protocol/fixtures.json.
 */

/** Bytes before the payload: uint32 length, uint8 kind, uint32 id. */
export const HEADER_BYTES = 9;
/** `length` counts kind + id + payload. */
export const LENGTH_OVERHEAD = 5;
/** Frames above this are a protocol violation, not a big batch. */
export const MAX_FRAME_BYTES = 256 * 1024 * 1024;

export const FrameKind = {
  READY: 1,
  PREDICT: 2,
  RESULT: 3,
  ERROR: 4,
} as const;

export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

export interface Frame {
  readonly kind: number;
  readonly id: number;
  readonly payload: Buffer;
}

/** The 9-byte header for a payload of `payloadBytes`. */
export function encodeHeader(kind: FrameKind, id: number, payloadBytes: number): Buffer {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32BE(payloadBytes + LENGTH_OVERHEAD, 0);
  header.writeUInt8(kind, 4);
  header.writeUInt32BE(id, 5);
  return header;
}
