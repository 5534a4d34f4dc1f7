import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FrameReader } from '../../../src/protocol/frame-reader.js';
import { decodePayload, encodeFrame, type FrameKind } from '../../../src/protocol/messages.js';
import { ROOT } from '../../helpers/paths.js';

interface Fixture {
  readonly name: string;
  readonly kind: FrameKind;
  readonly id: number;
  readonly payload: unknown;
  readonly hex: string;
}

// The same file python/tests/test_protocol.py checks: both sides agree byte for byte.
const fixtures = JSON.parse(readFileSync(path.join(ROOT, 'protocol', 'fixtures.json'), 'utf8')) as Fixture[];

describe('protocol fixtures shared with Python', () => {
  it('has fixtures to check', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(6);
  });

  for (const fixture of fixtures) {
    it(`encodes ${fixture.name} to exactly the fixture bytes`, () => {
      expect(Buffer.concat(encodeFrame(fixture.kind, fixture.id, fixture.payload)).toString('hex')).toBe(fixture.hex);
    });

    it(`decodes ${fixture.name} back to its payload`, () => {
      const [frame, ...rest] = new FrameReader().push(Buffer.from(fixture.hex, 'hex'));
      expect(rest).toEqual([]);
      expect(frame!.kind).toBe(fixture.kind);
      expect(frame!.id).toBe(fixture.id);
      expect(decodePayload(frame!)).toEqual(fixture.payload);
    });
  }
});
