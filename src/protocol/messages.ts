import { Packr } from 'msgpackr';
import { ProtocolError } from '../errors.js';
import { encodeHeader, FrameKind, type Frame } from './frame.js';

/** Payload of a READY frame. */
export interface ReadyMessage {
  readonly protocol: number;
  readonly model: string;
  readonly version: string;
  readonly pid: number;
}

/** Payload of an ERROR frame. */
export interface ErrorMessage {
  readonly code: string;
  readonly message: string;
}

export const PROTOCOL_VERSION = 1;

// Plain MessagePack only: msgpackr's record extension would be smaller but
// Python's msgpack could not read it. variableMapSize picks fixmap/map16/map32 by
// size, as Python does, so both sides produce the same bytes (protocol/fixtures.json).
// int64AsType 'number': a Python int beyond 32 bits (a timestamp in ms, an
// id) comes back as a number, not a bigint, which no JSON answer or result
// check takes. Beyond 2^53 it is then inexact, as in any JSON client; an
// `integer` field's check refuses it there, naming the limit.
const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true, encodeUndefinedAsNil: true, variableMapSize: true, int64AsType: 'number' });

/** One payload as plain MessagePack. */
export function packPayload(payload: unknown): Buffer {
  return packr.pack(payload);
}

/** A whole frame as header + payload buffers, ready for a corked write. */
export function encodeFrame(kind: FrameKind, id: number, payload: unknown): [Buffer, Buffer] {
  const body = packr.pack(payload);
  return [encodeHeader(kind, id, body.length), body];
}

export function decodePayload(frame: Frame): unknown {
  try {
    return packr.unpack(frame.payload);
  } catch (error) {
    throw new ProtocolError(`frame ${frame.id} (kind ${frame.kind}) has an undecodable payload`, { cause: error });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asReady(value: unknown): ReadyMessage {
  if (isRecord(value) && typeof value.model === 'string' && typeof value.version === 'string' && typeof value.pid === 'number' && typeof value.protocol === 'number') {
    return { protocol: value.protocol, model: value.model, version: value.version, pid: value.pid };
  }
  throw new ProtocolError('READY payload is not {protocol, model, version, pid}');
}

export function asError(value: unknown): ErrorMessage {
  if (isRecord(value) && typeof value.code === 'string' && typeof value.message === 'string') {
    return { code: value.code, message: value.message };
  }
  throw new ProtocolError('ERROR payload is not {code, message}');
}

export { FrameKind };
