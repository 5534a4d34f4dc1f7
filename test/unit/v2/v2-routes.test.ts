import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeadlineExceededError, ModelError, NotFoundError, OverloadedError, QueueFullError } from '../../../src/errors.js';
import { loadModelSpec } from '../../../src/model/manifest.js';
import type { Row } from '../../../src/model/row-schema.js';
import { censusAnswer, censusModel, digitOf, digitsModel, FakeV2Model, FakeV2Models, toyModel } from '../../helpers/fake-v2-models.js';
import { gatewayV2Body } from '../../../bench/lib/v2-body.js';
import { CENSUS_MODEL_DIR } from '../../helpers/paths.js';
import { binaryBody, bytes, fp32, fp64, int64, splitBinaryResponse } from '../../helpers/v2-binary.js';
import { buildV2App, TEST_BODY_LIMIT } from '../../helpers/v2-app.js';

const { manifest } = await loadModelSpec(CENSUS_MODEL_DIR);
const CENSUS_ROWS: Row[] = [
  manifest.example!,
  { ...manifest.example!, age: 52, workclass: 'Private', education: 'Bachelors', 'marital-status': 'Married-civ-spouse', sex: 'Female', 'hours-per-week': 40 },
];

/** MLServer's documented layout for a pandas-coded model: one input per column, strings as BYTES marked "str". */
function pandasRequest(rows: readonly Row[]): object {
  return {
    parameters: { content_type: 'pd' },
    inputs: Object.keys(manifest.input.properties).map((name) => {
      const data = rows.map((row) => row[name]);
      return typeof data[0] === 'string'
        ? { name, datatype: 'BYTES', parameters: { content_type: 'str' }, shape: [rows.length], data }
        : { name, datatype: 'INT32', shape: [rows.length], data };
    }),
  };
}

let app: FastifyInstance;
let toy: FakeV2Model;
let census: FakeV2Model;
let digits: FakeV2Model;
let models: FakeV2Models;

beforeAll(async () => {
  toy = toyModel();
  census = await censusModel();
  digits = digitsModel();
  models = new FakeV2Models([toy, census, digits]);
  app = await buildV2App({ models, extensions: ['model_repository'] });
});
afterAll(() => app.close());
beforeEach(() => {
  for (const model of [toy, census, digits]) {
    model.calls.length = 0;
    model.ready = true;
  }
  models.live_ = true;
});

function infer(model: string, body: object, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: `/v2/models/${model}/infer`, headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });
}

const xInput = (data: unknown[], extra: object = {}) => ({ name: 'x', datatype: 'FP64', shape: [data.length], data, ...extra });

describe('server metadata and health', () => {
  it('GET /v2 names the server and its extensions', async () => {
    const response = await app.inject('/v2');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ name: 'inference-gateway', version: '0.1.0', extensions: ['binary_tensor_data', 'model_repository'] });
  });

  it('live and ready answer 200 with the spec bodies, 503 when not', async () => {
    expect((await app.inject('/v2/health/live')).json()).toEqual({ live: true });
    expect((await app.inject('/v2/health/ready')).json()).toEqual({ ready: true });
    digits.ready = false;
    const ready = await app.inject('/v2/health/ready');
    expect([ready.statusCode, ready.json()]).toEqual([503, { ready: false }]);
    models.live_ = false;
    const live = await app.inject('/v2/health/live');
    expect([live.statusCode, live.json()]).toEqual([503, { live: false }]);
  });
});

describe('model metadata and readiness', () => {
  it('derives census-income\'s tensors from its manifest: one per column', async () => {
    const response = await app.inject('/v2/models/census-income');
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ name: 'census-income', versions: ['1.0.0'], platform: 'python' });
    expect(body.inputs.map((i: { name: string }) => i.name)).toEqual(Object.keys(manifest.input.properties));
    expect(body.inputs[0]).toEqual({ name: 'age', datatype: 'INT64', shape: [-1] });
    expect(body.inputs[1]).toEqual({ name: 'workclass', datatype: 'BYTES', shape: [-1] });
    expect(body.outputs).toEqual([
      { name: 'probability', datatype: 'FP64', shape: [-1] },
      { name: 'income', datatype: 'BYTES', shape: [-1] },
    ]);
  });

  it('gives a list field one [-1, n] FP32 tensor', async () => {
    const body = (await app.inject('/v2/models/digits/versions/1')).json();
    expect(body.inputs).toEqual([{ name: 'pixels', datatype: 'FP32', shape: [-1, 64] }]);
    expect(body.outputs).toEqual([
      { name: 'digit', datatype: 'INT64', shape: [-1] },
      { name: 'probability', datatype: 'FP64', shape: [-1] },
    ]);
  });

  it('answers 404 with the V2 error body for an unknown model or a version that is not the live one', async () => {
    for (const url of ['/v2/models/nope', '/v2/models/digits/versions/2', '/v2/models/digits/versions/2/ready', '/v2/models/nope/ready']) {
      const response = await app.inject(url);
      expect(response.statusCode, url).toBe(404);
      expect(response.headers['x-error-code']).toBe('GW_ERR_NOT_FOUND');
      expect(Object.keys(response.json())).toEqual(['error']);
    }
    expect((await app.inject('/v2/models/digits/versions/2')).json().error).toContain('"2"');
    const infer = await app.inject({ method: 'POST', url: '/v2/models/digits/versions/2/infer', payload: {} });
    expect(infer.statusCode).toBe(404);
  });

  it('answers unknown /v2 paths in the V2 shape and the others in the gateway\'s', async () => {
    const v2 = await app.inject('/v2/nothing/here');
    expect([v2.statusCode, v2.json()]).toEqual([404, { error: expect.stringContaining('/v2/nothing/here') }]);
    const other = await app.inject('/nothing');
    expect(other.statusCode).toBe(404);
    expect(other.json().error.code).toBe('GW_ERR_NOT_FOUND');
  });

  it('model ready: 200 when ready, 503 when not', async () => {
    expect((await app.inject('/v2/models/toy/ready')).json()).toEqual({ name: 'toy', ready: true });
    expect((await app.inject('/v2/models/toy/versions/3/ready')).statusCode).toBe(200);
    toy.ready = false;
    const response = await app.inject('/v2/models/toy/ready');
    expect([response.statusCode, response.json()]).toEqual([503, { name: 'toy', ready: false }]);
  });
});

describe('infer with JSON tensors', () => {
  it('turns tensors into rows, calls the model once, and returns named output tensors with the id', async () => {
    const response = await infer('toy', { id: 'req-1', inputs: [xInput([1, 2.5, -3])] });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json()).toEqual({
      model_name: 'toy',
      model_version: '3',
      id: 'req-1',
      outputs: [
        { name: 'y', datatype: 'FP64', shape: [3], data: [2, 5, -6] },
        { name: 'n', datatype: 'INT64', shape: [3], data: [0, 0, 0] },
        { name: 'flag', datatype: 'BOOL', shape: [3], data: [false, false, false] },
        { name: 'label', datatype: 'BYTES', shape: [3], data: ['', '', ''] },
      ],
    });
    expect(toy.calls).toHaveLength(1);
    expect(toy.calls[0]!.rows).toEqual([{ x: 1 }, { x: 2.5 }, { x: -3 }]);
    expect(response.headers['x-model-version']).toBe('3');
  });

  it('admits as /predict does: the default deadline, or the caller\'s own x-request-timeout as deadline and wait bound', async () => {
    await infer('toy', { inputs: [xInput([1])] }, { 'x-request-id': 'corr-7' });
    expect(toy.calls[0]!.options).toEqual({ timeoutMs: 1000, maxWaitMs: undefined, source: 'v2', requestId: 'corr-7' });
    await infer('toy', { inputs: [xInput([1])] }, { 'x-request-timeout': '2500' });
    expect(toy.calls[1]!.options).toMatchObject({ timeoutMs: 2500, maxWaitMs: 2500 });
    const bad = await infer('toy', { inputs: [xInput([1])] }, { 'x-request-timeout': '1e3' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toContain('x-request-timeout');
    expect(toy.calls).toHaveLength(2);
  });

  it('uses the x-request-id as the response id when the request has none', async () => {
    const response = await infer('toy', { inputs: [xInput([1])] }, { 'x-request-id': 'corr-8' });
    expect(response.json().id).toBe('corr-8');
    expect(response.headers['x-request-id']).toBe('corr-8');
  });

  it('returns the outputs asked for, in that order', async () => {
    const response = await infer('toy', { inputs: [xInput([1]), { name: 'label', datatype: 'BYTES', shape: [1], data: ['a'] }], outputs: [{ name: 'label' }, { name: 'y' }] });
    expect(response.json().outputs).toEqual([
      { name: 'label', datatype: 'BYTES', shape: [1], data: ['a'] },
      { name: 'y', datatype: 'FP64', shape: [1], data: [2] },
    ]);
  });

  it('refuses an unknown output before the model runs', async () => {
    const response = await infer('toy', { inputs: [xInput([1])], outputs: [{ name: 'z' }] });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatch(/outputs\[0\]: "z" is not an output of toy/);
    expect(toy.calls).toHaveLength(0);
  });

  it('takes MLServer\'s documented pandas request (content_type pd, INT32 and BYTES columns) as the rows /predict takes', async () => {
    const response = await infer('census-income', pandasRequest(CENSUS_ROWS));
    expect(response.statusCode).toBe(200);
    expect(census.calls[0]!.rows).toEqual(CENSUS_ROWS);
    const [probability, income] = response.json().outputs;
    expect(probability).toEqual({ name: 'probability', datatype: 'FP64', shape: [2], data: CENSUS_ROWS.map((r) => censusAnswer(r).probability) });
    expect(income).toEqual({ name: 'income', datatype: 'BYTES', shape: [2], data: ['<=50K', '>50K'] });
  });

  it('reads the benchmark\'s V2 body (the one MLServer gets, all outputs) as the same rows', async () => {
    const response = await app.inject({ method: 'POST', url: '/v2/models/census-income/infer', headers: { 'content-type': 'application/json' }, payload: gatewayV2Body(CENSUS_ROWS) });
    expect(response.statusCode).toBe(200);
    expect(census.calls[0]!.rows).toEqual(CENSUS_ROWS);
    expect(response.json().outputs.map((o: { name: string }) => o.name)).toEqual(['probability', 'income']);
  });

  it('accepts [N, 1] shapes and nested data for a scalar field, and any numeric datatype for a number', async () => {
    const response = await infer('toy', { inputs: [{ name: 'x', datatype: 'INT8', shape: [2, 1], data: [[3], [4]] }, { name: 'n', datatype: 'UINT16', shape: [2], data: [1, 2] }] });
    expect(response.statusCode).toBe(200);
    expect(toy.calls[0]!.rows).toEqual([{ x: 3, n: 1 }, { x: 4, n: 2 }]);
  });

  it('takes a list field as one [N, n] tensor, flat or nested', async () => {
    const a = Array.from({ length: 64 }, (_, i) => i % 17);
    const b = Array.from({ length: 64 }, () => 1);
    const flat = await infer('digits', { inputs: [{ name: 'pixels', datatype: 'FP32', shape: [2, 64], data: [...a, ...b] }] });
    const nested = await infer('digits', { inputs: [{ name: 'pixels', datatype: 'FP64', shape: [2, 64], data: [a, b] }] });
    for (const response of [flat, nested]) {
      expect(response.statusCode).toBe(200);
      expect(response.json().outputs[0]).toEqual({ name: 'digit', datatype: 'INT64', shape: [2], data: [digitOf(a), digitOf(b)] });
    }
    expect(digits.calls[0]!.rows).toEqual([{ pixels: a }, { pixels: b }]);
    expect(digits.calls[1]!.rows).toEqual(digits.calls[0]!.rows);
  });
});

describe('bad input: 400 with the spec\'s error body naming the input', () => {
  const cases: [string, object, RegExp][] = [
    ['wrong datatype', { inputs: [{ name: 'x', datatype: 'BYTES', shape: [1], data: ['1'] }] }, /^x: datatype BYTES does not fit this number field/],
    ['an unknown datatype', { inputs: [{ name: 'x', datatype: 'FP8', shape: [1], data: [1] }] }, /^x: datatype "FP8" is not one of/],
    ['data not of the datatype', { inputs: [{ name: 'n', datatype: 'INT64', shape: [1], data: [1.5] }, xInput([1])] }, /^n: element 0 \(1.5\) is not an integer/],
    ['a shape that does not match the data length', { inputs: [{ name: 'x', datatype: 'FP64', shape: [3], data: [1, 2] }] }, /^x: shape \[3\] holds 3 elements, but data has 2/],
    ['a shape that does not fit the field', { inputs: [{ name: 'x', datatype: 'FP64', shape: [1, 2], data: [1, 2] }] }, /^x: shape \[1, 2\] does not fit this field/],
    ['inputs with different row counts', { inputs: [xInput([1, 2]), { name: 'n', datatype: 'INT64', shape: [1], data: [1] }] }, /^n: has 1 rows .* but x has 2/],
    ['an unknown input name', { inputs: [xInput([1]), { name: 'w', datatype: 'FP64', shape: [1], data: [1] }] }, /^w: is not an input of toy \(its inputs: x, n, flag, label\)/],
    ['a missing required input', { inputs: [{ name: 'n', datatype: 'INT64', shape: [1], data: [1] }] }, /^x: is a required input of toy and is missing/],
    ['an input without data', { inputs: [{ name: 'x', datatype: 'FP64', shape: [1] }] }, /^x: has neither data nor parameters.binary_data_size/],
    ['a value the row schema refuses', { inputs: [xInput([1, 5000])] }, /^x\[1\]: must be <= 1000/],
    ['a header field of the wrong type', { inputs: [{ name: 'x', datatype: 'FP64', shape: 'one', data: [1] }] }, /^inputs\[0\]\.shape \(x\): must be array/],
    ['no inputs', { inputs: [] }, /^inputs: must hold at least 1 items/],
  ];
  for (const [what, body, message] of cases) {
    it(what, async () => {
      const response = await infer('toy', body);
      expect(response.statusCode).toBe(400);
      expect(response.headers['x-error-code']).toBe('GW_ERR_VALIDATION');
      expect(Object.keys(response.json())).toEqual(['error']);
      expect(response.json().error).toMatch(message);
      expect(toy.calls).toHaveLength(0);
    });
  }

  it('names the row of each census field the schema refuses', async () => {
    const response = await infer('census-income', pandasRequest([CENSUS_ROWS[0]!, { ...CENSUS_ROWS[1]!, age: 200 }]));
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('age[1]: must be <= 150');
  });

  it('non-JSON', async () => {
    const response = await app.inject({ method: 'POST', url: '/v2/models/toy/infer', headers: { 'content-type': 'application/json' }, payload: '{"inputs": [' });
    expect(response.statusCode).toBe(400);
    expect(response.headers['x-error-code']).toBe('GW_ERR_INVALID_JSON');
    expect(response.json().error).toMatch(/not valid JSON/);
  });

  it('an empty body', async () => {
    const response = await app.inject({ method: 'POST', url: '/v2/models/toy/infer', headers: { 'content-type': 'application/json' }, payload: '' });
    expect(response.statusCode).toBe(400);
    expect(Object.keys(response.json())).toEqual(['error']);
  });

  it('more rows than a request may carry: 413 naming the input', async () => {
    const response = await infer('toy', { inputs: [xInput(Array.from({ length: 101 }, () => 1))] });
    expect(response.statusCode).toBe(413);
    expect(response.headers['x-error-code']).toBe('GW_ERR_TOO_MANY_ROWS');
    expect(response.json().error).toMatch(/^x: 101 rows is more than the limit of 100/);
  });

  it('a body over the server\'s limit: 413 in the V2 shape', async () => {
    const response = await infer('toy', { inputs: [xInput(Array.from({ length: TEST_BODY_LIMIT / 2 }, () => 1))] });
    expect(response.statusCode).toBe(413);
    expect(Object.keys(response.json())).toEqual(['error']);
  });
});

describe('the binary tensor extension', () => {
  it('reads binary inputs of every kind, in input order, beside JSON ones', async () => {
    const { payload, headers } = binaryBody(
      {
        inputs: [
          { name: 'x', datatype: 'FP32', shape: [2], parameters: { binary_data_size: 8 } },
          // 'déf' is 4 bytes of UTF-8.
          { name: 'label', datatype: 'BYTES', shape: [2], parameters: { binary_data_size: 4 + 3 + 4 + 4 } },
          { name: 'flag', datatype: 'BOOL', shape: [2], data: [true, false] },
          { name: 'n', datatype: 'INT64', shape: [2, 1], parameters: { binary_data_size: 16 } },
        ],
        outputs: [{ name: 'y' }, { name: 'label' }],
      },
      [fp32([1.5, -2]), bytes(['abc', 'déf']), int64([7, 9])],
    );
    const response = await app.inject({ method: 'POST', url: '/v2/models/toy/infer', headers, payload });
    expect(response.statusCode).toBe(200);
    expect(toy.calls[0]!.rows).toEqual([
      { x: 1.5, label: 'abc', flag: true, n: 7 },
      { x: -2, label: 'déf', flag: false, n: 9 },
    ]);
    expect(response.json().outputs.map((o: { name: string }) => o.name)).toEqual(['y', 'label']);
  });

  it('reads a body with no Content-Type at all, as tritonclient sends it', async () => {
    const { payload, headers } = binaryBody({ inputs: [{ name: 'x', datatype: 'FP64', shape: [1], parameters: { binary_data_size: 8 } }] }, [fp64([21])]);
    const response = await app.inject({ method: 'POST', url: '/v2/models/toy/infer', headers: { 'inference-header-content-length': headers['inference-header-content-length']! }, payload });
    expect(response.statusCode).toBe(200);
    expect(response.json().outputs[0].data).toEqual([42]);
  });

  it('returns every output in binary for binary_data_output, with Inference-Header-Content-Length', async () => {
    const response = await infer('toy', { id: 'b', parameters: { binary_data_output: true }, inputs: [xInput([1, 2]), { name: 'label', datatype: 'BYTES', shape: [2], data: ['hi', ''] }] });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/octet-stream');
    const headerLength = Number(response.headers['inference-header-content-length']);
    const { json, tensors } = splitBinaryResponse(response.rawPayload, headerLength);
    expect(json).toMatchObject({ model_name: 'toy', id: 'b' });
    expect(json.outputs.map((o) => [o.name, o.parameters?.binary_data_size, 'data' in o])).toEqual([
      ['y', 16, false],
      ['n', 16, false],
      ['flag', 2, false],
      ['label', 4 + 2 + 4, false],
    ]);
    expect(tensors.get('y')).toEqual(fp64([2, 4]));
    expect(tensors.get('n')).toEqual(int64([0, 0]));
    expect(tensors.get('flag')).toEqual(Buffer.from([0, 0]));
    expect(tensors.get('label')).toEqual(bytes(['hi', '']));
    expect(response.rawPayload.length).toBe(headerLength + 16 + 16 + 2 + 10);
  });

  it('lets an output\'s binary_data override the request\'s default', async () => {
    const response = await infer('toy', {
      parameters: { binary_data_output: true },
      inputs: [xInput([3])],
      outputs: [{ name: 'y', parameters: { binary_data: false } }, { name: 'n' }],
    });
    const { json, tensors } = splitBinaryResponse(response.rawPayload, Number(response.headers['inference-header-content-length']));
    expect(json.outputs[0]).toEqual({ name: 'y', datatype: 'FP64', shape: [1], data: [6] });
    expect([...tensors.keys()]).toEqual(['n']);
    const json2 = await infer('toy', { inputs: [xInput([3])], outputs: [{ name: 'y', parameters: { binary_data: false } }] });
    expect(json2.headers['inference-header-content-length']).toBeUndefined();
    expect(json2.headers['content-type']).toMatch(/^application\/json/);
  });

  it('returns a list output as a [N, n] tensor', async () => {
    const lists = new FakeV2Model(
      'lists',
      undefined,
      { properties: { x: { type: 'number' } }, required: ['x'] },
      { properties: { v: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 } }, required: ['v'] },
      (rows) => rows.map((row) => ({ v: [row.x, -(row.x as number)] })),
    );
    const local = await buildV2App({ models: new FakeV2Models([lists]) });
    const response = await local.inject({ method: 'POST', url: '/v2/models/lists/infer', payload: { inputs: [xInput([1, 2])], parameters: { binary_data_output: true } } });
    const { json, tensors } = splitBinaryResponse(response.rawPayload, Number(response.headers['inference-header-content-length']));
    expect(json.outputs[0]).toMatchObject({ name: 'v', datatype: 'FP32', shape: [2, 2] });
    expect(tensors.get('v')).toEqual(fp32([1, -1, 2, -2]));
    expect(json).not.toHaveProperty('model_version');
    await local.close();
  });

  const bad: [string, () => { payload: Buffer; headers: Record<string, string> }, RegExp][] = [
    ['a header length beyond the body', () => {
      const body = binaryBody({ inputs: [xInput([1])] }, []);
      return { payload: body.payload, headers: { ...body.headers, 'inference-header-content-length': String(body.payload.length + 1) } };
    }, /^header inference-header-content-length: is \d+ bytes, beyond the \d+-byte body/],
    ['a header length that is not a number', () => {
      const body = binaryBody({ inputs: [xInput([1])] }, []);
      return { payload: body.payload, headers: { ...body.headers, 'inference-header-content-length': 'ten' } };
    }, /^header inference-header-content-length: must be the byte length/],
    ['a header length that cuts the JSON', () => {
      const body = binaryBody({ inputs: [xInput([1])] }, []);
      return { payload: body.payload, headers: { ...body.headers, 'inference-header-content-length': '5' } };
    }, /not valid JSON/],
    ['binary_data_size beyond the binary data', () => binaryBody({ inputs: [{ name: 'x', datatype: 'FP64', shape: [2], parameters: { binary_data_size: 16 } }] }, [fp64([1])]),
      /^x: parameters.binary_data_size is 16 bytes, beyond the 8 bytes of binary data left/],
    ['binary_data_size that does not match the shape', () => binaryBody({ inputs: [{ name: 'x', datatype: 'FP64', shape: [2], parameters: { binary_data_size: 8 } }] }, [fp64([1])]),
      /^x: binary_data_size is 8 bytes, but 2 FP64 elements take 16/],
    ['a BYTES element longer than the data', () => {
      const data = bytes(['abc']);
      data.writeUInt32LE(99, 0);
      return binaryBody({ inputs: [xInput([1]), { name: 'label', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: data.length } }] }, [data]);
    }, /^label: BYTES element 0 declares 99 bytes/],
    ['bytes no input accounts for', () => binaryBody({ inputs: [xInput([1])] }, [fp64([1])]), /^\(body\): holds 8 bytes after the JSON header/],
    ['both data and binary_data_size', () => binaryBody({ inputs: [xInput([1], { parameters: { binary_data_size: 8 } })] }, [fp64([1])]), /^x: has both data and parameters.binary_data_size/],
    ['a raw binary request', () => ({ payload: fp64([1]), headers: { 'inference-header-content-length': '0' } }), /^header inference-header-content-length: is 0/],
  ];
  for (const [what, build, message] of bad) {
    it(`bad: ${what}`, async () => {
      const { payload, headers } = build();
      const response = await app.inject({ method: 'POST', url: '/v2/models/toy/infer', headers, payload });
      expect(response.statusCode).toBe(400);
      expect(Object.keys(response.json())).toEqual(['error']);
      expect(response.json().error).toMatch(message);
      expect(toy.calls).toHaveLength(0);
    });
  }

  it('takes a raw binary request (Inference-Header-Content-Length: 0) for a model with one fixed-size input: the body is its rows', async () => {
    const images = [Array.from({ length: 64 }, (_, i) => i % 17), Array.from({ length: 64 }, () => 3)];
    const payload = Buffer.from(new Float32Array(images.flat()).buffer);
    const response = await app.inject({ method: 'POST', url: '/v2/models/digits/infer', headers: { 'inference-header-content-length': '0', 'content-type': 'application/octet-stream' }, payload });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(digits.calls.map((call) => call.rows)).toEqual([images.map((pixels) => ({ pixels }))]);
    expect(response.json().outputs.find((o: { name: string }) => o.name === 'digit')).toMatchObject({ datatype: 'INT64', shape: [2], data: images.map(digitOf) });
  });

  it('refuses a raw binary request naming why: a model with several inputs, or a body that is not whole rows', async () => {
    const several = await app.inject({ method: 'POST', url: '/v2/models/census-income/infer', headers: { 'inference-header-content-length': '0' }, payload: fp64([1]) });
    expect(several.statusCode).toBe(400);
    expect(several.json().error).toMatch(/^header inference-header-content-length: is 0 \(a raw binary request.*exactly one input, and census-income has 14/);
    const ragged = await app.inject({ method: 'POST', url: '/v2/models/digits/infer', headers: { 'inference-header-content-length': '0' }, payload: Buffer.alloc(300) });
    expect(ragged.statusCode).toBe(400);
    expect(ragged.json().error).toBe('body: is 300 bytes, not a whole number of 256-byte rows of input pixels (FP32 [-1, 64], little-endian)');
    expect(digits.calls).toHaveLength(0);
  });

  it('leaves the other routes JSON-only', async () => {
    const response = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.from('{}') });
    expect(response.statusCode).toBe(415);
    expect(response.json().error.code).toBe('GW_ERR_UNSUPPORTED_MEDIA_TYPE');
    const json = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"a":1}' });
    expect(json.json()).toEqual({ a: 1 });
  });
});

describe('errors from the model\'s engine, by code', () => {
  const cases: [string, Error, number, string | undefined][] = [
    ['queue full', new QueueFullError(10, 10), 503, '1'],
    ['overloaded', new OverloadedError(4500, 100), 503, '5'],
    ['deadline', new DeadlineExceededError(1000), 504, undefined],
    ['model failure', new ModelError('HANDLER_ERROR', 'boom'), 500, undefined],
    ['anything else', new TypeError('oops'), 500, undefined],
  ];
  for (const [what, error, status, retryAfter] of cases) {
    it(what, async () => {
      const failing = new FakeV2Model('failing', undefined, toy.input, toy.output, () => Promise.reject(error));
      const local = await buildV2App({ models: new FakeV2Models([failing]) });
      const response = await local.inject({ method: 'POST', url: '/v2/models/failing/infer', payload: { inputs: [xInput([1])] } });
      expect(response.statusCode).toBe(status);
      expect(response.headers['retry-after']).toBe(retryAfter);
      expect(Object.keys(response.json())).toEqual(['error']);
      await local.close();
    });
  }

  it('a model that is not ready: 503 with Retry-After, and the model is not called', async () => {
    toy.ready = false;
    const response = await infer('toy', { inputs: [xInput([1])] });
    expect([response.statusCode, response.headers['retry-after'], response.headers['x-error-code']]).toEqual([503, '1', 'GW_ERR_NOT_READY']);
    expect(toy.calls).toHaveLength(0);
  });

  it('a request admission refuses whatever its size is answered before its body is parsed, with the wait it asked for', async () => {
    toy.refusal = new OverloadedError(450, 100);
    toy.refusalAsks.length = 0;
    try {
      // Not JSON at all: a 400 if the body had been read.
      const response = await app.inject({ method: 'POST', url: '/v2/models/toy/infer', headers: { 'content-type': 'application/json', 'x-request-timeout': '250' }, payload: '{"inputs": [' });
      expect([response.statusCode, response.headers['retry-after'], response.headers['x-error-code']]).toEqual([503, '1', 'GW_ERR_OVERLOADED']);
      expect(toy.refusalAsks).toEqual([{ rows: 1, maxWaitMs: 250 }]);
      expect(toy.calls).toHaveLength(0);
    } finally {
      toy.refusal = undefined;
    }
    // Let through, the same body is answered as before.
    const response = await app.inject({ method: 'POST', url: '/v2/models/toy/infer', headers: { 'content-type': 'application/json' }, payload: '{"inputs": [' });
    expect(response.statusCode).toBe(400);
  });

  it('a result that does not match the output declaration is a 500 naming the output', async () => {
    const wrong = new FakeV2Model('wrong', undefined, toy.input, toy.output, (rows) => rows.map(() => ({ y: 'high' })));
    const local = await buildV2App({ models: new FakeV2Models([wrong]) });
    const response = await local.inject({ method: 'POST', url: '/v2/models/wrong/infer', payload: { inputs: [xInput([1])] } });
    expect(response.statusCode).toBe(500);
    expect(response.json().error).toMatch(/output y\[0\]/);
    await local.close();
  });
});

describe('more routes in the V2 scope', () => {
  it('share its body parser and its error body', async () => {
    const local = await buildV2App({
      models: new FakeV2Models([]),
      routes: (v2) => {
        v2.post('/repository/index', async (request) => {
          if ((request.body as { header: { ready?: unknown } }).header.ready === 'x') throw new NotFoundError('nothing here');
          return [];
        });
      },
    });
    const ok = await local.inject({ method: 'POST', url: '/v2/repository/index', payload: Buffer.from('{}') });
    expect([ok.statusCode, ok.json()]).toEqual([200, []]);
    const failed = await local.inject({ method: 'POST', url: '/v2/repository/index', payload: { ready: 'x' } });
    expect([failed.statusCode, failed.json()]).toEqual([404, { error: 'nothing here' }]);
    await local.close();
  });
});

describe('OpenAPI', () => {
  it('documents every V2 route under the v2 tag with an operationId, and every $ref resolves', async () => {
    const doc = (await app.inject('/openapi.json')).json();
    const operations: [string, { tags: string[]; operationId: string }][] = [];
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, { tags: string[]; operationId: string }>>)) {
      if (path.startsWith('/v2')) for (const operation of Object.values(item)) operations.push([path, operation]);
    }
    expect(operations.map(([, o]) => o.operationId).sort()).toEqual([
      'v2ModelInfer', 'v2ModelMetadata', 'v2ModelReady', 'v2ModelVersionInfer', 'v2ModelVersionMetadata', 'v2ModelVersionReady',
      'v2ServerLive', 'v2ServerMetadata', 'v2ServerReady',
    ]);
    expect(operations.every(([, o]) => o.tags.includes('v2'))).toBe(true);
    expect(doc.paths['/v2/models/{name}/infer'].post.requestBody.content['application/json'].schema.$ref).toMatch(/^#\/components\/schemas\/V2InferRequest/);
    const refs = JSON.stringify(doc).match(/"#\/components\/schemas\/[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(doc.components.schemas).toHaveProperty(ref.slice('"#/components/schemas/'.length, -1));
  });
});
