import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EmptyRecordError, InvalidJsonError, ModelError, ValidationError } from '../../../src/errors.js';
import { deadLetterRecord, decodeRow, modelOf, resultRecord, type InputRecord } from '../../../src/kafka/record-codec.js';

const schema = z.strictObject({ age: z.int().gte(0) });

function input(overrides: Partial<InputRecord> = {}, headers: Record<string, string> = {}): InputRecord {
  return {
    key: Buffer.from('k1'),
    value: Buffer.from('{"age":3}'),
    headers: new Map(Object.entries(headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)])),
    topic: 'in',
    partition: 2,
    offset: 41n,
    ...overrides,
  };
}

const headersOf = (record: { headers?: unknown }): Record<string, string> =>
  Object.fromEntries([...(record.headers as Map<Buffer, Buffer>)].map(([k, v]) => [k.toString(), v.toString()]));

describe('decodeRow', () => {
  it('returns the validated row', () => {
    expect(decodeRow(Buffer.from('{"age": 30}'), schema)).toEqual({ row: { age: 30 } });
  });

  it('names JSON, schema and empty-record failures with their typed errors', () => {
    const notJson = decodeRow(Buffer.from('{"age":'), schema);
    expect('error' in notJson && notJson.error).toBeInstanceOf(InvalidJsonError);
    const invalid = decodeRow(Buffer.from('{"age": -1, "x": 1}'), schema);
    expect('error' in invalid && invalid.error).toBeInstanceOf(ValidationError);
    expect('error' in invalid && (invalid.error as ValidationError).issues).toEqual([
      { field: 'age', reason: 'must be >= 0' },
      { field: 'x', reason: 'is not a known field' },
    ]);
    const empty = decodeRow(undefined, schema);
    expect('error' in empty && empty.error).toBeInstanceOf(EmptyRecordError);
  });
});

describe('resultRecord', () => {
  it('keeps the key and headers and goes to the output topic', () => {
    const out = resultRecord(input({}, { trace: 't-1' }), { score: 1 }, 'results');
    expect(out.topic).toBe('results');
    expect(out.key?.toString()).toBe('k1');
    expect(JSON.parse(out.value!.toString())).toEqual({ score: 1 });
    expect(headersOf(out)).toEqual({ trace: 't-1' });
  });

  it('uses the correlation-id header as key when the record has none, and honours reply-to', () => {
    const out = resultRecord(input({ key: undefined }, { 'correlation-id': 'c-9', 'reply-to': 'mine' }), { score: 1 }, 'results');
    expect(out.topic).toBe('mine');
    expect(out.key?.toString()).toBe('c-9');
  });
});

describe('deadLetterRecord', () => {
  it('keeps the original payload and says why (with the typed details) and where from; reply-to alone does not move it off the dead-letter topic', () => {
    const record = input({ value: Buffer.from('garbage') }, { trace: 't-1', 'reply-to': 'mine' });
    const out = deadLetterRecord(record, new ModelError('HANDLER_ERROR', 'boom'), 'dead');
    expect(out.topic).toBe('dead');
    expect(out.value?.toString()).toBe('garbage');
    expect(out.key?.toString()).toBe('k1');
    expect(headersOf(out)).toEqual({
      trace: 't-1',
      'reply-to': 'mine',
      'error-code': 'GW_ERR_MODEL',
      'error-message': 'boom',
      'error-retriable': 'false',
      'error-details': '{"workerCode":"HANDLER_ERROR"}',
      'source-topic': 'in',
      'source-partition': '2',
      'source-offset': '41',
    });
  });
});

describe('modelOf', () => {
  it('reads the model header; no header or an empty one means the default model', () => {
    expect(modelOf(input({}, { model: 'digits' }))).toBe('digits');
    expect(modelOf(input({}, {}))).toBeUndefined();
    expect(modelOf(input({}, { model: '' }))).toBeUndefined();
  });
});
