import fc from 'fast-check';
import { FUZZ } from '../helpers/fuzz.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelSpec, type FieldSchema } from '../../src/model/manifest.js';
import { readAdult } from '../helpers/adult.js';
import { errorOf, get, startTestGateway, type JsonResponse, type TestGateway } from '../helpers/gateway.js';
import { CENSUS_MODEL_DIR } from '../helpers/paths.js';

/**
 * Property-based fuzzing of POST /predict on a real gateway with a real
 * census worker: whatever arrives, the answer is a 2xx or a 4xx in the
 * documented error shape, never a 5xx, and the gateway keeps serving.
 */

const spec = await loadModelSpec(CENSUS_MODEL_DIR);
const fields = Object.entries(spec.manifest.input.properties);
const fieldNames = new Set(fields.map(([name]) => name));
const baseRows = readAdult().slice(0, 200).map(({ row }) => row);
const MAX_ROWS = 20;
const BODY_LIMIT = 64 * 1024;
const MAX_TIMEOUT_MS = 30_000 * 10;

// Fast-check's own runs stay within the suite's time budget: a few hundred requests in all.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One request body as text, so that keys like `__proto__` stay own keys. */
type Entries = readonly (readonly [string, unknown])[];
function objectText(entries: Entries): string {
  return `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`).join(',')}}`;
}

// ---- values a field accepts, or refuses --------------------------------------------

/** Any UTF-16 code unit, lone surrogates included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));
const wellFormed = (text: string) => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
const wrongTypeForString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }), fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }));
const wrongTypeForNumber = fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.integer(), { maxKeys: 3 }));

function validValue(field: FieldSchema): fc.Arbitrary<unknown> {
  if (field.type === 'integer') {
    const min = field.minimum ?? Number.MIN_SAFE_INTEGER;
    const max = field.maximum ?? Number.MAX_SAFE_INTEGER;
    const options: fc.Arbitrary<unknown>[] = [fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31 - 1) }), fc.constant(min === 0 ? -0 : min), fc.constant(max)];
    if (max > 2 ** 31) options.push(fc.maxSafeNat().map((n) => Math.max(min, Math.min(max, n))));
    return fc.oneof(...options);
  }
  if (field.type === 'string') {
    const max = field.maxLength ?? 64;
    const min = Math.max(field.minLength ?? 0, 1);
    return fc
      .oneof(fc.string({ unit: 'grapheme', minLength: min, maxLength: 16 }), fc.string({ unit: 'binary', minLength: min, maxLength: max }), fc.string({ unit: 'grapheme-ascii', minLength: min, maxLength: max }))
      .filter((text) => text.length >= min && text.length <= max);
  }
  throw new Error(`the fuzz test does not generate ${field.type} fields`);
}

function invalidValue(field: FieldSchema): fc.Arbitrary<unknown> {
  if (field.type === 'integer') {
    const min = field.minimum ?? Number.MIN_SAFE_INTEGER;
    const options: fc.Arbitrary<unknown>[] = [
      wrongTypeForNumber,
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x)),
      fc.integer({ min: 1, max: 1_000_000 }).map((below) => min - below),
    ];
    if (field.maximum !== undefined) options.push(fc.integer({ min: 1, max: 1_000_000 }).map((above) => field.maximum! + above));
    return fc.oneof(...options);
  }
  if (field.type === 'string') {
    const max = field.maxLength ?? 64;
    return fc.oneof(
      wrongTypeForString,
      fc.string({ minLength: max + 1, maxLength: max + 40 }),
      fc.constant(''),
      // A lone surrogate somewhere in an otherwise valid string.
      fc.tuple(fc.string({ maxLength: 10 }), fc.integer({ min: 0xd800, max: 0xdfff }), fc.string({ maxLength: 10 })).map(([a, unit, b]) => `${a}${String.fromCharCode(unit)}${b}`).filter((text) => !wellFormed(text)),
    );
  }
  throw new Error(`the fuzz test does not generate ${field.type} fields`);
}

// ---- rows with known mistakes ------------------------------------------------------------

type Mutation =
  | { readonly kind: 'drop'; readonly field: string }
  | { readonly kind: 'extra'; readonly key: string; readonly value: unknown }
  | { readonly kind: 'set'; readonly field: string; readonly value: unknown; readonly valid: boolean };

const extraKey = fc
  .oneof(fc.string(), fc.string({ unit: codeUnit, minLength: 1, maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'instances', 'education_num', 'Age', 'age '))
  .filter((key) => !fieldNames.has(key));

const fieldMutation: fc.Arbitrary<Mutation> = fc.constantFrom(...fields).chain(([field, schema]) =>
  fc.oneof(
    fc.constant<Mutation>({ kind: 'drop', field }),
    validValue(schema).map((value): Mutation => ({ kind: 'set', field, value, valid: true })),
    invalidValue(schema).map((value): Mutation => ({ kind: 'set', field, value, valid: false })),
  ),
);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fieldMutation, weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('extra' as const), key: extraKey, value: fc.jsonValue({ maxDepth: 2 }) }), weight: 1 },
);
const mutations = fc.uniqueArray(mutation, { maxLength: 4, selector: (m) => (m.kind === 'extra' ? `extra:${m.key}` : m.field) });

interface MutatedRow {
  readonly text: string;
  /** Keys the gateway must name in its issues (without any `instances[i].` prefix). */
  readonly badKeys: readonly string[];
}

function mutate(base: Record<string, unknown>, changes: readonly Mutation[], inBatch: boolean): MutatedRow {
  const entries = new Map<string, unknown>(Object.entries(base));
  const badKeys: string[] = [];
  for (const change of changes) {
    if (change.kind === 'drop') {
      entries.delete(change.field);
      badKeys.push(change.field);
    } else if (change.kind === 'extra') {
      // A single-row body with an `instances` key is a batch, another shape altogether.
      if (!inBatch && change.key === 'instances') continue;
      entries.set(change.key, change.value);
      badKeys.push(change.key);
    } else {
      entries.set(change.field, change.value);
      if (!change.valid) badKeys.push(change.field);
    }
  }
  return { text: objectText([...entries]), badKeys };
}

const mutatedRow = (inBatch: boolean) =>
  fc.tuple(fc.constantFrom(...baseRows), mutations).map(([base, changes]) => mutate(base, changes, inBatch));

// ---- checks ------------------------------------------------------------------------------

function expectErrorShape(response: JsonResponse): void {
  const error = errorOf(response.body);
  expect(error.code).toMatch(/^GW_ERR_[A-Z_]+$/);
  expect(typeof error.message).toBe('string');
  expect(error.message.length).toBeGreaterThan(0);
  expect(error.requestId).toBe(response.headers['x-request-id']);
  if (error.code === 'GW_ERR_VALIDATION') {
    expect(error.issues!.length).toBeGreaterThan(0);
    for (const issue of error.issues!) {
      expect(typeof issue.field).toBe('string');
      expect(typeof issue.reason).toBe('string');
    }
  }
}

function expectResult(result: unknown): void {
  const { probability, income } = result as { probability: number; income: string };
  expect(probability).toBeGreaterThanOrEqual(0);
  expect(probability).toBeLessThanOrEqual(1);
  expect(['<=50K', '>50K']).toContain(income);
}

describe('fuzzing POST /predict (census-income, real workers)', () => {
  let gw: TestGateway;

  /** POSTs and checks what every answer must be: JSON, below 500 (504 only for a deadline the caller set), errors in shape. */
  async function send(body: string | Uint8Array, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<JsonResponse> {
    const response = await gw.http.request({ method: 'POST', path: '/predict', headers, body });
    const text = await response.body.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`status ${response.statusCode} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
    if (!(response.statusCode === 504 && 'x-request-timeout' in headers)) expect(response.statusCode, text.slice(0, 500)).toBeLessThan(500);
    if (response.statusCode !== 200) expectErrorShape({ status: response.statusCode, headers: response.headers, body: parsed });
    return { status: response.statusCode, headers: response.headers, body: parsed };
  }

  beforeAll(async () => {
    gw = await startTestGateway({ workers: 1, bodyLimitBytes: BODY_LIMIT, maxRequestRows: MAX_ROWS });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('single rows with known mistakes: 200 when none is invalid, else 400 naming every bad field', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedRow(false), async ({ text, badKeys }) => {
        const response = await send(text);
        if (badKeys.length === 0) {
          expect(response.status, text).toBe(200);
          expectResult(response.body);
          return;
        }
        expect(response.status, text).toBe(400);
        const named = errorOf(response.body).issues!.map((issue) => issue.field);
        for (const key of badKeys) expect(named, text).toContain(key);
      }),
      FUZZ,
    );
  });

  it('batches of such rows: 200 with one result per row, else 400 naming instances[i].field', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutatedRow(true), { minLength: 1, maxLength: 3 }), async (rows) => {
        const text = `{"instances":[${rows.map((row) => row.text).join(',')}]}`;
        const response = await send(text);
        const expected = rows.flatMap((row, i) => row.badKeys.map((key) => `instances[${i}].${key}`));
        if (expected.length === 0) {
          expect(response.status, text).toBe(200);
          const { predictions } = response.body as { predictions: unknown[] };
          expect(predictions).toHaveLength(rows.length);
          predictions.forEach(expectResult);
          return;
        }
        expect(response.status, text).toBe(400);
        const named = errorOf(response.body).issues!.map((issue) => issue.field);
        for (const field of expected) expect(named, text).toContain(field);
      }),
      FUZZ,
    );
  });

  it('arbitrary JSON values, bare or as instances: a 4xx in the error shape, never a 5xx', async () => {
    const value = fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<Json>;
    const body = fc.oneof(
      value,
      fc.array(value, { maxLength: MAX_ROWS + 5 }).map((instances) => ({ instances })),
      fc.dictionary(fc.oneof(fc.constantFrom(...fieldNames), fc.string()), value).map((row) => ({ instances: [row] })),
    );
    await fc.assert(
      fc.asyncProperty(body, async (json) => {
        const response = await send(JSON.stringify(json));
        expect([400, 413], JSON.stringify(json).slice(0, 300)).toContain(response.status);
      }),
      FUZZ,
    );
  });

  it('arbitrary bytes and corrupted JSON text under any content type: never a 5xx, 415 unless JSON', async () => {
    const jsonTypes = ['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON'];
    const otherTypes = ['text/plain', 'application/octet-stream', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=zz', 'application/json; charset=utf-16', 'text/json', ''];
    const validText = fc.constantFrom(...baseRows.slice(0, 20)).map((row) => JSON.stringify({ instances: [row] }));
    // Insert, delete or replace a few bytes of a valid body: mostly invalid JSON, sometimes valid.
    const corrupted = fc.tuple(validText, fc.array(fc.tuple(fc.nat(), fc.nat(3), fc.uint8Array({ maxLength: 3 })), { minLength: 1, maxLength: 4 })).map(([text, edits]) => {
      let bytes = Buffer.from(text);
      for (const [at, remove, insert] of edits) {
        const start = at % (bytes.length + 1);
        bytes = Buffer.concat([bytes.subarray(0, start), insert, bytes.subarray(start + remove)]);
      }
      return new Uint8Array(bytes);
    });
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 2048 }), corrupted, fc.string({ unit: codeUnit, maxLength: 200 }).map((text) => new Uint8Array(Buffer.from(text))));
    await fc.assert(
      fc.asyncProperty(bytes, fc.constantFrom(...jsonTypes, ...otherTypes), async (body, contentType) => {
        const response = await send(body, contentType === '' ? {} : { 'content-type': contentType });
        if (otherTypes.includes(contentType) && body.length > 0) {
          expect(response.status).toBe(415);
        } else {
          expect([200, 400, 413, 415]).toContain(response.status);
        }
      }),
      FUZZ,
    );
  });

  it('arbitrary x-request-timeout and x-request-id headers: 200 or 400 naming the header', async () => {
    const header = fc.oneof(fc.string({ unit: 'grapheme-ascii', maxLength: 40 }), fc.nat().map(String), fc.integer({ min: -10, max: MAX_TIMEOUT_MS + 10 }).map(String));
    const body = JSON.stringify(baseRows[0]);
    await fc.assert(
      fc.asyncProperty(header, header, async (timeout, id) => {
        const response = await send(body, { 'content-type': 'application/json', 'x-request-timeout': timeout, 'x-request-id': id });
        // Node trims header values; the gateway sees what is left.
        const seen = timeout.trim();
        const valid = /^[0-9]+$/.test(seen) && Number(seen) >= 1 && Number(seen) <= MAX_TIMEOUT_MS;
        if (valid) {
          // A deadline of a few milliseconds may pass before the model answers: that is the contract's 504.
          if (response.status === 504) expect(errorOf(response.body).code).toBe('GW_ERR_DEADLINE_EXCEEDED');
          else expect(response.status).toBe(200);
        } else {
          expect(response.status).toBe(400);
          expect(errorOf(response.body).issues).toEqual([expect.objectContaining({ field: 'header x-request-timeout' })]);
        }
        const echoed = response.headers['x-request-id'];
        if (echoed !== id.trim()) expect(echoed).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      }),
      FUZZ,
    );
  });

  it('still serves a valid request afterwards, with no worker restarted', async () => {
    const response = await send(JSON.stringify({ instances: baseRows.slice(0, 5) }));
    expect(response.status).toBe(200);
    expect((response.body as { predictions: unknown[] }).predictions).toHaveLength(5);
    expect((await get(gw.http, '/health/ready')).status).toBe(200);
    expect((await get(gw.http, '/metrics')).text).toContain('gateway_worker_restarts_total{model="census-income"} 0');
  });
});
