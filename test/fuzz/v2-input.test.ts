import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATATYPES } from '../../src/v2/datatypes.js';
import { censusModel, digitsModel, FakeV2Models, toyModel } from '../helpers/fake-v2-models.js';
import { FUZZ } from '../helpers/fuzz.js';
import { buildV2App } from '../helpers/v2-app.js';

/**
 * Property-based fuzzing of the V2 infer route (in-process, over fake
 * models): whatever the tensors, shapes, datatypes, binary parts and header
 * lengths, the answer is a 200 or a 4xx with the spec's `{"error": string}`
 * body, never a 5xx; the model only ever sees rows its schema accepts.
 */

let app: FastifyInstance;
const models = new FakeV2Models([toyModel(), digitsModel(), await censusModel()]);
beforeAll(async () => {
  app = await buildV2App({ models });
});
afterAll(() => app.close());

const names = ['x', 'n', 'flag', 'label', 'pixels', 'age', 'workclass', ''];
const element = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.string({ maxLength: 8 }), fc.constant(null));
const data = fc.oneof(fc.array(element, { maxLength: 8 }), fc.array(fc.array(element, { maxLength: 4 }), { maxLength: 4 }), fc.jsonValue({ maxDepth: 2 }));
const input = fc.record(
  {
    name: fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 6 })),
    datatype: fc.oneof(fc.constantFrom(...DATATYPES), fc.string({ maxLength: 5 })),
    shape: fc.oneof(fc.array(fc.integer({ min: -2, max: 9 }), { maxLength: 3 }), fc.constant([2 ** 40, 2 ** 40])),
    data,
    parameters: fc.oneof(fc.constant(undefined), fc.record({ binary_data_size: fc.oneof(fc.integer({ min: -4, max: 64 }), fc.string({ maxLength: 3 })) })),
  },
  { requiredKeys: ['name', 'datatype', 'shape'] },
);
const request = fc.record(
  {
    id: fc.oneof(fc.string({ maxLength: 8 }), fc.integer()),
    parameters: fc.record({ binary_data_output: fc.oneof(fc.boolean(), fc.string({ maxLength: 3 })), content_type: fc.constantFrom('pd', 'np') }, { requiredKeys: [] }),
    inputs: fc.array(input, { maxLength: 4 }),
    outputs: fc.array(fc.record({ name: fc.constantFrom('y', 'n', 'digit', 'income', 'zz'), parameters: fc.record({ binary_data: fc.boolean() }) }, { requiredKeys: ['name'] }), { maxLength: 3 }),
  },
  { requiredKeys: ['inputs'] },
);

function expectAnswered(response: { statusCode: number; headers: Record<string, unknown>; body: string }): void {
  expect(response.statusCode === 200 || (response.statusCode >= 400 && response.statusCode < 500), `${response.statusCode} ${response.body}`).toBe(true);
  if (response.statusCode !== 200) {
    const body = JSON.parse(response.body) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['error']);
    expect(typeof body.error).toBe('string');
  }
}

describe('V2 infer under fuzzing', () => {
  it('answers any JSON request with 200 or a 4xx in the spec\'s error shape', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('toy', 'digits', 'census-income'), request, async (model, body) => {
        expectAnswered(await app.inject({ method: 'POST', url: `/v2/models/${model}/infer`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) }));
      }),
      FUZZ,
    );
  });

  it('answers any binary body, header length and trailing bytes likewise', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('toy', 'digits'), request, fc.uint8Array({ maxLength: 80 }), fc.integer({ min: -3, max: 40 }), async (model, body, tail, skew) => {
        const json = Buffer.from(JSON.stringify(body));
        const payload = Buffer.concat([json, tail]);
        const length = String(Math.max(0, json.length + skew));
        expectAnswered(await app.inject({ method: 'POST', url: `/v2/models/${model}/infer`, headers: { 'inference-header-content-length': length }, payload }));
      }),
      FUZZ,
    );
  });
});
