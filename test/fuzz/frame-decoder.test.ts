import fc from 'fast-check';
import { FUZZ } from '../helpers/fuzz.js';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import { HEADER_BYTES, LENGTH_OVERHEAD, MAX_FRAME_BYTES, type Frame } from '../../src/protocol/frame.js';
import { FrameReader } from '../../src/protocol/frame-reader.js';
import { asError, asReady, decodePayload, encodeFrame, FrameKind } from '../../src/protocol/messages.js';

/**
 * Property-based fuzzing of what the gateway reads from a worker: whatever
 * bytes arrive, in whatever pieces, the reader yields frames or throws a
 * ProtocolError (the worker is then replaced), never another exception and
 * never an endless loop; and well-formed frames come out whole however the
 * stream is cut.
 */


/** Cuts `bytes` at the given points (taken modulo its length). */
function chunk(bytes: Uint8Array, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => (bytes.length === 0 ? 0 : cut % bytes.length)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    if (point > start) pieces.push(Buffer.from(bytes.subarray(start, point)));
    start = point;
  }
  return pieces;
}

interface Outcome {
  readonly frames: Frame[];
  readonly error: unknown;
}

/** Feeds the pieces until the reader throws; any throw is captured, not rethrown. */
function feed(pieces: readonly Buffer[]): Outcome {
  const reader = new FrameReader();
  const frames: Frame[] = [];
  let fed = 0;
  for (const piece of pieces) {
    try {
      frames.push(...reader.push(piece));
    } catch (error) {
      return { frames, error };
    }
    fed += piece.length;
    // Everything fed is either in a frame or still held: nothing is lost or invented.
    expect(reader.pendingBytes + frames.reduce((sum, f) => sum + HEADER_BYTES + f.payload.length, 0)).toBe(fed);
  }
  return { frames, error: undefined };
}

/** Decodes a payload the way the worker client does; anything but a ProtocolError is a bug. */
function decodeOrProtocolError(frame: Frame): void {
  try {
    const value = decodePayload(frame);
    if (frame.kind === FrameKind.READY) asReady(value);
    if (frame.kind === FrameKind.ERROR) asError(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
  }
}

/** A header with a plausible length, so payload bytes get decoded rather than the length refused. */
const plausibleFrame = fc
  .tuple(fc.constantFrom(1, 2, 3, 4, 0, 255), fc.nat(), fc.uint8Array({ maxLength: 300 }))
  .map(([kind, id, payload]) => {
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt32BE(payload.length + LENGTH_OVERHEAD, 0);
    header.writeUInt8(kind, 4);
    header.writeUInt32BE(id, 5);
    return new Uint8Array(Buffer.concat([header, payload]));
  });

/** MessagePack prefixes that announce huge or odd things: array32, map32, str32, bin32, ext, nesting. */
const hostilePayload = fc
  .tuple(
    fc.constantFrom(
      [0xdd, 0xff, 0xff, 0xff, 0xff],
      [0xdf, 0xff, 0xff, 0xff, 0xff],
      [0xdb, 0xff, 0xff, 0xff, 0xff],
      [0xc6, 0x7f, 0xff, 0xff, 0xff],
      [0xc9, 0x7f, 0xff, 0xff, 0xff, 0x01],
      [0xd7, 0xff, 0, 0, 0, 0, 0, 0, 0, 0],
      [0xd4, 0x72, 0x00],
      [0xc1],
      Array.from({ length: 5000 }, () => 0x91),
      [0x81, 0xa9, ...Buffer.from('__proto__'), 0x81, 0xa1, 0x78, 0x01],
    ),
    fc.uint8Array({ maxLength: 20 }),
  )
  .map(([prefix, tail]) => {
    const payload = Buffer.concat([Buffer.from(prefix), tail]);
    return new Uint8Array(Buffer.concat([...encodeFrameFromPayload(payload)]));
  });

function encodeFrameFromPayload(payload: Buffer): [Buffer, Buffer] {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32BE(payload.length + LENGTH_OVERHEAD, 0);
  header.writeUInt8(FrameKind.RESULT, 4);
  header.writeUInt32BE(7, 5);
  return [header, payload];
}

const cuts = fc.array(fc.nat(), { maxLength: 12 });

/**
 * Payloads the gateway really exchanges: rows and results of JSON-like values.
 * Without `__proto__` keys: msgpackr renames them to `__proto_` when decoding
 * (its guard against prototype pollution, pinned by a test below), and rows
 * never carry one (the row schema refuses it by name).
 */
const withoutProtoKey = (value: unknown): boolean => !JSON.stringify(value).includes('"__proto__"');
const payload = fc
  .oneof(
    fc.array(fc.dictionary(fc.string({ unit: 'binary', maxLength: 12 }), fc.oneof(fc.integer(), fc.double({ noNaN: true }), fc.string({ unit: 'binary' }), fc.boolean(), fc.constant(null))), { maxLength: 8 }),
    fc.jsonValue({ maxDepth: 3 }),
  )
  .filter(withoutProtoKey);
const validFrame = fc.record({ kind: fc.constantFrom(FrameKind.READY, FrameKind.PREDICT, FrameKind.RESULT, FrameKind.ERROR), id: fc.nat({ max: 0xffff_ffff }), payload });

describe('fuzzing the frame decoder (FrameReader + decodePayload)', () => {
  it('renames a __proto__ key to __proto_ on decode rather than touching a prototype (found by this fuzzer, seed 161699461)', () => {
    const [header, body] = encodeFrame(FrameKind.RESULT, 1, [JSON.parse('{"__proto__": {"polluted": true}, "y": 1}') as Record<string, unknown>]);
    const [frame] = new FrameReader().push(Buffer.concat([header, body]));
    const [result] = decodePayload(frame!) as Record<string, unknown>[];
    expect(result).toEqual({ __proto_: { polluted: true }, y: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('arbitrary bytes in arbitrary pieces: frames or a ProtocolError, never another exception', () => {
    const stream = fc.oneof(
      fc.uint8Array({ maxLength: 2000 }),
      fc.array(fc.oneof(plausibleFrame, hostilePayload, fc.uint8Array({ maxLength: 20 })), { maxLength: 8 }).map((parts) => new Uint8Array(Buffer.concat(parts))),
    );
    fc.assert(
      fc.property(stream, cuts, (bytes, cutPoints) => {
        const { frames, error } = feed(chunk(bytes, cutPoints));
        if (error !== undefined) expect(error).toBeInstanceOf(ProtocolError);
        for (const frame of frames) {
          expect(frame.payload.length + HEADER_BYTES).toBeLessThanOrEqual(MAX_FRAME_BYTES + 4);
          decodeOrProtocolError(frame);
        }
      }),
      FUZZ,
    );
  });

  it('the same bytes give the same frames however they are cut', () => {
    const stream = fc.array(fc.oneof(plausibleFrame, fc.uint8Array({ maxLength: 12 })), { maxLength: 6 }).map((parts) => new Uint8Array(Buffer.concat(parts)));
    fc.assert(
      fc.property(stream, cuts, (bytes, cutPoints) => {
        const whole = feed([Buffer.from(bytes)]);
        const pieces = feed(chunk(bytes, cutPoints));
        // Cut into pieces, frames before a bad length may come out before the error; whole, that push throws.
        expect(whole.frames.map((f) => [f.kind, f.id, f.payload.toString('hex')])).toEqual(
          pieces.frames.slice(0, whole.frames.length).map((f) => [f.kind, f.id, f.payload.toString('hex')]),
        );
        expect(whole.error === undefined).toBe(pieces.error === undefined);
      }),
      FUZZ,
    );
  });

  it('valid frames survive any chunking, with their payloads intact', () => {
    fc.assert(
      fc.property(fc.array(validFrame, { minLength: 1, maxLength: 6 }), cuts, (sent, cutPoints) => {
        const bytes = Buffer.concat(sent.flatMap((f) => encodeFrame(f.kind, f.id, f.payload)));
        const { frames, error } = feed(chunk(bytes, cutPoints));
        expect(error).toBeUndefined();
        expect(frames.map((f) => [f.kind, f.id])).toEqual(sent.map((f) => [f.kind, f.id]));
        // Compared after a JSON round trip: -0 and 0, and absent vs undefined, are the same on the wire.
        expect(frames.map((f) => JSON.stringify(decodePayload(f)))).toEqual(sent.map((f) => JSON.stringify(f.payload)));
      }),
      FUZZ,
    );
  });

  it('valid frames followed by garbage: the frames come out, then at most a ProtocolError', () => {
    fc.assert(
      fc.property(fc.array(validFrame, { minLength: 1, maxLength: 4 }), fc.uint8Array({ minLength: 1, maxLength: 64 }), (sent, garbage) => {
        const good = Buffer.concat(sent.flatMap((f) => encodeFrame(f.kind, f.id, f.payload)));
        // Good frames and garbage in separate pieces, as two pipe reads would bring them.
        const { frames, error } = feed([good, Buffer.from(garbage)]);
        if (error !== undefined) expect(error).toBeInstanceOf(ProtocolError);
        expect(frames.slice(0, sent.length).map((f) => [f.kind, f.id])).toEqual(sent.map((f) => [f.kind, f.id]));
        for (const frame of frames.slice(sent.length)) decodeOrProtocolError(frame);
      }),
      FUZZ,
    );
  });

  it('decodePayload on arbitrary bytes: a value or a ProtocolError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 500 }), hostilePayload.map((frame) => frame.subarray(HEADER_BYTES))), (bytes) => {
        decodeOrProtocolError({ kind: FrameKind.RESULT, id: 1, payload: Buffer.from(bytes) });
      }),
      FUZZ,
    );
  });

  it('a decoded __proto__ key stays data: nothing reaches Object.prototype', () => {
    const [header, body] = encodeFrameFromPayload(Buffer.from([0x81, 0xa9, ...Buffer.from('__proto__'), 0x81, 0xa8, ...Buffer.from('polluted'), 0x01]));
    const [frame] = new FrameReader().push(Buffer.concat([header, body]));
    decodePayload(frame!);
    expect((({}) as Record<string, unknown>).polluted).toBeUndefined();
  });
});
