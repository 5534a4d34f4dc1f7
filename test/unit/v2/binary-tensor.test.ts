import { describe, expect, it } from 'vitest';
import { decodeBinary, encodeBinary } from '../../../src/v2/binary-tensor.js';
import { DATATYPES, ELEMENT_BYTES, type Datatype } from '../../../src/v2/datatypes.js';
import { TensorIssue } from '../../../src/v2/tensor-issue.js';
import { bytes, fp32, int32, int64 } from '../../helpers/v2-binary.js';

const SAMPLES: Record<Datatype, unknown[]> = {
  BOOL: [true, false, true],
  UINT8: [0, 255, 7],
  UINT16: [0, 65535, 300],
  UINT32: [0, 2 ** 32 - 1, 70000],
  UINT64: [0, Number.MAX_SAFE_INTEGER, 12],
  INT8: [-128, 127, 0],
  INT16: [-32768, 32767, -1],
  INT32: [-(2 ** 31), 2 ** 31 - 1, 5],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, -3],
  FP16: [0, -2, 0.5, 65504, 2 ** -24],
  FP32: [0, -1.5, 3.25],
  FP64: [0, Math.PI, -1e300],
  BYTES: ['', 'abc', 'Grüße', '🙂'],
};

describe('binary tensor elements', () => {
  for (const datatype of DATATYPES) {
    it(`round-trips ${datatype}`, () => {
      const values = SAMPLES[datatype];
      const encoded = encodeBinary(values, datatype);
      if (datatype !== 'BYTES') expect(encoded.length).toBe(values.length * ELEMENT_BYTES[datatype]);
      expect(decodeBinary(encoded, datatype, values.length)).toEqual(values);
    });
  }

  it('reads little-endian bytes written by hand, at any offset in the body', () => {
    const body = Buffer.concat([Buffer.from([9]), int32([1, -2]), fp32([0.25]), int64([-5])]);
    expect(decodeBinary(body.subarray(1, 9), 'INT32', 2)).toEqual([1, -2]);
    expect(decodeBinary(body.subarray(9, 13), 'FP32', 1)).toEqual([0.25]);
    expect(decodeBinary(body.subarray(13), 'INT64', 1)).toEqual([-5]);
  });

  it('reads BYTES as 4-byte little-endian lengths, then UTF-8', () => {
    expect(decodeBinary(Buffer.from([2, 0, 0, 0, 0x68, 0x69, 0, 0, 0, 0]), 'BYTES', 2)).toEqual(['hi', '']);
    expect(encodeBinary(['hi', ''], 'BYTES')).toEqual(Buffer.from([2, 0, 0, 0, 0x68, 0x69, 0, 0, 0, 0]));
    expect(decodeBinary(bytes(['Grüße']), 'BYTES', 1)).toEqual(['Grüße']);
  });

  const refusals: [string, () => unknown, RegExp][] = [
    ['a size that does not hold the count', () => decodeBinary(int32([1, 2]), 'INT32', 3), /8 bytes, but 3 INT32 elements take 12/],
    ['a BOOL byte other than 0 or 1', () => decodeBinary(Buffer.from([1, 2]), 'BOOL', 2), /element 1 is the byte 2/],
    ['an INT64 beyond what a JSON number holds', () => decodeBinary(int64([0]).fill(0x7f), 'INT64', 1), /beyond ±2\^53/],
    ['a NaN float', () => decodeBinary(fp32([Number.NaN]), 'FP32', 1), /element 0 is NaN/],
    ['an infinite half', () => decodeBinary(Buffer.from([0x00, 0x7c]), 'FP16', 1), /Infinity/],
    ['a BYTES length past the end', () => decodeBinary(Buffer.from([5, 0, 0, 0, 0x61]), 'BYTES', 1), /declares 5 bytes, beyond the 1 left/],
    ['BYTES elements fewer than the shape', () => decodeBinary(bytes(['abcdefgh', 'b']), 'BYTES', 3), /element 2 has no length prefix/],
    ['BYTES elements more than the shape', () => decodeBinary(bytes(['a', 'b']), 'BYTES', 1), /the 1 BYTES elements of the shape take 5/],
    ['a BYTES count the data cannot hold (no allocation for it)', () => decodeBinary(bytes(['a']), 'BYTES', 1e12), /too few for 1000000000000 BYTES elements/],
    ['BYTES that are not UTF-8', () => decodeBinary(Buffer.from([1, 0, 0, 0, 0xff]), 'BYTES', 1), /element 0 is not valid UTF-8/],
  ];
  for (const [what, call, message] of refusals) {
    it(`refuses ${what}`, () => {
      expect(call).toThrow(TensorIssue);
      expect(call).toThrow(message);
    });
  }
});
