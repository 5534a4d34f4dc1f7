import { describe, expect, it } from 'vitest';
import { TooManyRowsError, ValidationError } from '../../../src/errors.js';
import { rowSchema, type Row } from '../../../src/model/row-schema.js';
import type { ObjectSchema } from '../../../src/model/manifest.js';
import { checkRows, decodeInputs } from '../../../src/v2/decode-inputs.js';
import { inferRequestSchema } from '../../../src/v2/v2-schemas.js';
import { DIGITS_INPUT, TOY_INPUT } from '../../helpers/fake-v2-models.js';
import { fp32, fp64 } from '../../helpers/v2-binary.js';

const options = { modelName: 'toy', input: TOY_INPUT, maxRows: 10 };

function decode(body: unknown, binary: Uint8Array = new Uint8Array(0), opts = options): Row[] {
  return decodeInputs(inferRequestSchema.parse(body), binary, opts);
}

function issuesOf(call: () => unknown): { field: string; reason: string }[] {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return [...(error as ValidationError).issues];
  }
  throw new Error('expected a ValidationError');
}

describe('decodeInputs', () => {
  it('builds one row per element of the first dimension, one field per input', () => {
    expect(decode({ inputs: [
      { name: 'x', datatype: 'FP64', shape: [2], data: [1, 2] },
      { name: 'label', datatype: 'BYTES', shape: [2, 1], data: [['a'], ['b']] },
    ] })).toEqual([{ x: 1, label: 'a' }, { x: 2, label: 'b' }]);
  });

  it('leaves an optional field out of the rows when its input is absent', () => {
    expect(decode({ inputs: [{ name: 'x', datatype: 'FP64', shape: [1], data: [1] }] })).toEqual([{ x: 1 }]);
  });

  it('slices a [N, n] tensor into one list per row', () => {
    const pixels = Array.from({ length: 128 }, (_, i) => i);
    const rows = decode({ inputs: [{ name: 'pixels', datatype: 'INT32', shape: [2, 64], data: pixels }] }, undefined, { ...options, input: DIGITS_INPUT });
    expect(rows).toEqual([{ pixels: pixels.slice(0, 64) }, { pixels: pixels.slice(64) }]);
  });

  it('takes binary inputs in input order from the bytes after the header', () => {
    const rows = decode(
      { inputs: [
        { name: 'x', datatype: 'FP32', shape: [2], parameters: { binary_data_size: 8 } },
        { name: 'n', datatype: 'INT64', shape: [2], data: [3, 4] },
      ] },
      fp32([0.5, 1.5]),
    );
    expect(rows).toEqual([{ x: 0.5, n: 3 }, { x: 1.5, n: 4 }]);
  });

  it('names every refused input, and a repeated one', () => {
    const issues = issuesOf(() => decode({ inputs: [
      { name: 'x', datatype: 'BYTES', shape: [1], data: ['1'] },
      { name: 'flag', datatype: 'BOOL', shape: [3], data: [true] },
      { name: 'zz', datatype: 'FP64', shape: [1], data: [1] },
      { name: 'flag', datatype: 'BOOL', shape: [1], data: [true] },
    ] }));
    expect(issues.map((i) => i.field)).toEqual(['x', 'flag', 'zz', 'flag']);
    expect(issuesOf(() => decode({ inputs: [{ name: 'n', datatype: 'INT64', shape: [1], data: [1] }] }))).toEqual([{ field: 'x', reason: 'is a required input of toy and is missing' }]);
  });

  it('names the input whose binary_data_size is wrong, and leftover bytes', () => {
    expect(issuesOf(() => decode({ inputs: [{ name: 'x', datatype: 'FP64', shape: [1], parameters: { binary_data_size: 9 } }] }, fp64([1])))[0]!.field).toBe('x');
    expect(issuesOf(() => decode({ inputs: [{ name: 'x', datatype: 'FP64', shape: [1], parameters: { binary_data_size: -1 } }] }, fp64([1])))[0]!.field).toBe('x');
    expect(issuesOf(() => decode({ inputs: [{ name: 'x', datatype: 'FP64', shape: [1], data: [1] }] }, fp64([1])))[0]!.field).toBe('(body)');
  });

  it('refuses more rows than allowed before reading the data', () => {
    const call = () => decode({ inputs: [{ name: 'x', datatype: 'FP64', shape: [11], data: [] }] });
    expect(call).toThrow(TooManyRowsError);
  });

  it('refuses a shape of no rows, and a huge shape the data does not hold, without allocating for it', () => {
    expect(issuesOf(() => decode({ inputs: [{ name: 'x', datatype: 'FP64', shape: [0], data: [] }] }))[0]!.field).toBe('x');
    const huge = issuesOf(() => decode({ inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 64], data: [1] }] }, undefined, { ...options, input: { properties: { pixels: { type: 'array', items: { type: 'number' } } }, required: [] } }));
    expect(huge[0]!.field).toBe('pixels');
  });
});

describe('checkRows', () => {
  const schema = rowSchema(TOY_INPUT as ObjectSchema);

  it('returns the rows the schema accepts', () => {
    expect(checkRows([{ x: 1 }, { x: 2, flag: true }], schema)).toEqual([{ x: 1 }, { x: 2, flag: true }]);
  });

  it('names the input and the row of each refusal', () => {
    expect(issuesOf(() => checkRows([{ x: 1 }, { x: 2000 }, { x: 1, label: 'x'.repeat(17) }], schema))).toEqual([
      { field: 'x[1]', reason: 'must be <= 1000' },
      { field: 'label[2]', reason: 'must be at most 16 characters long' },
    ]);
  });
});
