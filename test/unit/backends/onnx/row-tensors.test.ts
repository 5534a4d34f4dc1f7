import { describe, expect, it } from 'vitest';
import { decodeOutputs, encodeInputs, shortestFloat32, TensorShapeError } from '../../../../src/backends/onnx/row-tensors.js';
import type { OnnxBinding } from '../../../../src/model/onnx-binding.js';

const binding: OnnxBinding = {
  inputs: [
    { tensor: 'age', type: 'int64', layout: 'column', fields: ['age'], rowShape: [1] },
    { tensor: 'pair', type: 'float32', layout: 'fields', fields: ['a', 'b'], rowShape: [2] },
    { tensor: 'pixels', type: 'float32', layout: 'array', fields: ['pixels'], rowShape: [1, 2] },
    { tensor: 'name', type: 'string', layout: 'column', fields: ['name'], rowShape: [] },
  ],
  outputs: [
    { field: 'label', tensor: 'label', type: 'string', take: 'value' },
    { field: 'probability', tensor: 'probabilities', type: 'float32', take: 'max' },
    { field: 'best', tensor: 'probabilities', type: 'float32', take: 'argmax' },
    { field: 'second', tensor: 'probabilities', type: 'float32', take: 1 },
    { field: 'all', tensor: 'probabilities', type: 'float32', take: 'row' },
    { field: 'count', tensor: 'count', type: 'int64', take: 'value' },
  ],
};

describe('encodeInputs', () => {
  it('fills each tensor row-major with the batch first', () => {
    const feeds = encodeInputs(binding, [
      { age: 30, a: 1, b: 2, pixels: [0.5, 1.5], name: 'x' },
      { age: 40, a: 3, b: 4, pixels: [2.5, 3.5], name: 'y' },
    ]);
    expect(feeds.age).toEqual({ type: 'int64', data: new BigInt64Array([30n, 40n]), dims: [2, 1] });
    expect(feeds.pair).toEqual({ type: 'float32', data: new Float32Array([1, 2, 3, 4]), dims: [2, 2] });
    expect(feeds.pixels).toEqual({ type: 'float32', data: new Float32Array([0.5, 1.5, 2.5, 3.5]), dims: [2, 1, 2] });
    expect(feeds.name).toEqual({ type: 'string', data: ['x', 'y'], dims: [2] });
  });

  it('fails a batch whose list field does not fit the tensor', () => {
    expect(() => encodeInputs(binding, [{ age: 1, a: 1, b: 1, pixels: [1], name: 'x' }])).toThrow(TensorShapeError);
  });
});

describe('decodeOutputs', () => {
  it('reads each field as the binding says, int64 as plain numbers', () => {
    const results = decodeOutputs(
      binding,
      {
        label: { type: 'string', data: ['<=50K', '>50K'], dims: [2] },
        probabilities: { type: 'float32', data: new Float32Array([0.75, 0.25, 0.5, 0.5]), dims: [2, 2] },
        count: { type: 'int64', data: new BigInt64Array([7n, 8n]), dims: [2, 1] },
      },
      2,
    );
    expect(results).toEqual([
      { label: '<=50K', probability: 0.75, best: 0, second: 0.25, all: [0.75, 0.25], count: 7 },
      // A tie goes to the first class, as NumPy's argmax picks it.
      { label: '>50K', probability: 0.5, best: 0, second: 0.5, all: [0.5, 0.5], count: 8 },
    ]);
  });

  it('fails outputs that do not hold one row per input row', () => {
    expect(() => decodeOutputs(binding, { label: { type: 'string', data: ['a'], dims: [1] } }, 2)).toThrow(TensorShapeError);
  });
});

describe('shortestFloat32', () => {
  it('gives the shortest decimal that is still the same float32', () => {
    expect(shortestFloat32(Math.fround(0.85))).toBe(0.85);
    expect(shortestFloat32(Math.fround(0.123456789))).toBe(0.12345679);
    expect(shortestFloat32(Math.fround(1 / 3))).toBe(0.33333334);
    expect(shortestFloat32(1)).toBe(1);
    expect(shortestFloat32(0)).toBe(0);
    for (const x of [Math.fround(1e-7), Math.fround(123456.789), Math.fround(-2.5e30)]) expect(Math.fround(shortestFloat32(x))).toBe(x);
  });
});
