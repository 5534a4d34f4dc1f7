import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/errors.js';
import { MAX_FRAME_BYTES } from '../../../src/protocol/frame.js';
import { FrameReader } from '../../../src/protocol/frame-reader.js';
import { decodePayload, encodeFrame, FrameKind } from '../../../src/protocol/messages.js';

const frameBytes = (id: number, payload: unknown) => Buffer.concat(encodeFrame(FrameKind.RESULT, id, payload));

describe('FrameReader', () => {
  it('reassembles frames from a stream cut at every possible byte boundary', () => {
    const stream = Buffer.concat([frameBytes(1, [{ a: 1 }]), frameBytes(2, []), frameBytes(3, ['x'.repeat(300)])]);
    for (let cut = 1; cut < stream.length; cut++) {
      const reader = new FrameReader();
      const frames = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))];
      expect(frames.map((f) => f.id)).toEqual([1, 2, 3]);
      expect(decodePayload(frames[2]!)).toEqual(['x'.repeat(300)]);
      expect(reader.pendingBytes).toBe(0);
    }
  });

  it('reassembles a stream fed one byte at a time', () => {
    const stream = Buffer.concat([frameBytes(7, { k: 'v' }), frameBytes(8, [1, 2, 3])]);
    const reader = new FrameReader();
    const frames = [];
    for (const byte of stream) frames.push(...reader.push(Buffer.from([byte])));
    expect(frames.map((f) => [f.id, decodePayload(f)])).toEqual([
      [7, { k: 'v' }],
      [8, [1, 2, 3]],
    ]);
  });

  it('holds a truncated frame as pending bytes', () => {
    const reader = new FrameReader();
    const bytes = frameBytes(1, [1, 2, 3]);
    expect(reader.push(bytes.subarray(0, bytes.length - 1))).toEqual([]);
    expect(reader.pendingBytes).toBe(bytes.length - 1);
  });

  it('rejects a length below the header with ProtocolError', () => {
    const bad = Buffer.from([0, 0, 0, 4, 3, 0, 0, 0, 1]);
    expect(() => new FrameReader().push(bad)).toThrow(ProtocolError);
  });

  it('rejects a length above the maximum with ProtocolError', () => {
    const bad = Buffer.alloc(9);
    bad.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
    expect(() => new FrameReader().push(bad)).toThrow(ProtocolError);
  });

  it('reports an undecodable payload as ProtocolError', () => {
    const [frame] = new FrameReader().push(Buffer.from([0, 0, 0, 7, 3, 0, 0, 0, 1, 0x92, 0x01]));
    expect(() => decodePayload(frame!)).toThrow(ProtocolError);
  });
});
