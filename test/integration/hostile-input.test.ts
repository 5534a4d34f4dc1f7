import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REPORTED_ISSUES } from '../../src/errors.js';
import { loadModelSpec } from '../../src/model/manifest.js';
import { errorOf, get, post, startTestGateway, type JsonResponse, type TestGateway } from '../helpers/gateway.js';
import { CENSUS_MODEL_DIR } from '../helpers/paths.js';
import { parseRawResponse, rawRequest } from '../helpers/raw-http.js';

const spec = await loadModelSpec(CENSUS_MODEL_DIR);
const sample = spec.manifest.example!;
const sampleJson = JSON.stringify(sample);
const BODY_LIMIT = 256 * 1024;
const MAX_ROWS = 50;

/** A 4xx in the gateway's error shape, with this code; returns the error for further checks. */
function expectError(response: JsonResponse, status: number, code: string) {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  const error = errorOf(response.body);
  expect(error.code).toBe(code);
  expect(typeof error.message).toBe('string');
  expect(error.message.length).toBeGreaterThan(0);
  expect(error.requestId).toBe(response.headers['x-request-id']);
  return error;
}

describe('hostile input at POST /predict (census-income, real workers)', () => {
  let gw: TestGateway;
  let port: number;
  let samplePrediction: unknown;

  beforeAll(async () => {
    gw = await startTestGateway({ workers: 1, bodyLimitBytes: BODY_LIMIT, maxRequestRows: MAX_ROWS });
    port = Number(new URL(gw.url).port);
    const response = await post(gw.http, '/predict', sample);
    expect(response.status).toBe(200);
    samplePrediction = response.body;
  });
  afterAll(async () => {
    await gw?.close();
  });

  describe('deep or huge JSON', () => {
    it('100,000 unclosed [ → 400 GW_ERR_INVALID_JSON', async () => {
      expectError(await post(gw.http, '/predict', '['.repeat(100_000)), 400, 'GW_ERR_INVALID_JSON');
    });

    it('100,000 nested arrays as the body → 400 naming the body', async () => {
      const error = expectError(await post(gw.http, '/predict', '['.repeat(100_000) + ']'.repeat(100_000)), 400, 'GW_ERR_VALIDATION');
      expect(error.issues).toEqual([{ field: '(body)', reason: 'must be object, got array' }]);
    });

    it('deep nesting inside a field or a row names that field or row', async () => {
      const deep = '['.repeat(50_000) + ']'.repeat(50_000);
      const inField = expectError(await post(gw.http, '/predict', sampleJson.replace('"age":25', `"age":${deep}`)), 400, 'GW_ERR_VALIDATION');
      expect(inField.issues).toEqual([{ field: 'age', reason: 'must be integer, got array' }]);
      const inRow = expectError(await post(gw.http, '/predict', `{"instances":[${deep}]}`), 400, 'GW_ERR_VALIDATION');
      expect(inRow.issues).toEqual([{ field: 'instances[0]', reason: 'must be object, got array' }]);
    });

    it('a body over --body-limit-bytes → 413 with the limit', async () => {
      const rows = Array.from({ length: 1000 }, () => sample);
      const error = expectError(await post(gw.http, '/predict', { instances: rows }), 413, 'GW_ERR_PAYLOAD_TOO_LARGE');
      expect((error as unknown as { limitBytes: number }).limitBytes).toBe(BODY_LIMIT);
    });

    it('a huge string within the body limit → 400 naming the field and its length limit', async () => {
      const error = expectError(await post(gw.http, '/predict', { ...sample, occupation: 'x'.repeat(200_000) }), 400, 'GW_ERR_VALIDATION');
      expect(error.issues).toEqual([{ field: 'occupation', reason: 'must be at most 64 characters long' }]);
    });

    it('thousands of unknown keys → 400 listing the first issues and counting the rest', async () => {
      const keys = Array.from({ length: 20_000 }, (_, i) => `"k${i}":1`).join(',');
      const response = await post(gw.http, '/predict', `{${sampleJson.slice(1, -1)},${keys}}`);
      const error = expectError(response, 400, 'GW_ERR_VALIDATION');
      expect(error.issues).toHaveLength(MAX_REPORTED_ISSUES);
      expect(error.issues![0]).toEqual({ field: 'k0', reason: 'is not a known field' });
      expect((error as unknown as { issuesOmitted: number }).issuesOmitted).toBe(20_000 - MAX_REPORTED_ISSUES);
      expect(error.message).toMatch(/; and 19980 more$/);
    });
  });

  describe('numbers', () => {
    it.each([
      ['1e999', 'age', 'must be integer, got Infinity'],
      ['-1e999', 'age', 'must be integer, got -Infinity'],
      ['25.5', 'age', 'must be integer, got 25.5'],
      ['151', 'age', 'must be <= 150'],
    ])('age %s → 400: %s', async (literal, field, reason) => {
      const error = expectError(await post(gw.http, '/predict', sampleJson.replace('"age":25', `"age":${literal}`)), 400, 'GW_ERR_VALIDATION');
      expect(error.issues).toEqual([{ field, reason }]);
    });

    it('an integer beyond 2^53 → 400 (it would not survive the trip as an exact integer)', async () => {
      const error = expectError(await post(gw.http, '/predict', sampleJson.replace('"fnlwgt":176756', '"fnlwgt":1e300')), 400, 'GW_ERR_VALIDATION');
      expect(error.issues).toEqual([{ field: 'fnlwgt', reason: 'must be <= 9007199254740991' }]);
    });

    it.each(['NaN', 'Infinity', '-Infinity', '0x19', '+25', '025'])('the non-JSON number %s → 400 GW_ERR_INVALID_JSON', async (literal) => {
      expectError(await post(gw.http, '/predict', sampleJson.replace('"age":25', `"age":${literal}`)), 400, 'GW_ERR_INVALID_JSON');
    });

    it('-0 and 25.0 are the numbers 0 and 25 → 200 with the same prediction', async () => {
      const minusZero = await post(gw.http, '/predict', sampleJson.replace('"capital-gain":0', '"capital-gain":-0'));
      expect(minusZero.status).toBe(200);
      expect(minusZero.body).toEqual(samplePrediction);
      const withFraction = await post(gw.http, '/predict', sampleJson.replace('"age":25', '"age":25.0'));
      expect(withFraction.status).toBe(200);
      expect(withFraction.body).toEqual(samplePrediction);
    });
  });

  describe('keys', () => {
    it('__proto__ and constructor are unknown fields like any other, and pollute nothing', async () => {
      const proto = expectError(await post(gw.http, '/predict', `{"__proto__":{"polluted":1},${sampleJson.slice(1)}`), 400, 'GW_ERR_VALIDATION');
      expect(proto.issues).toEqual([{ field: '__proto__', reason: 'is not a known field' }]);
      const ctor = expectError(await post(gw.http, '/predict', `{"constructor":{"prototype":{"polluted":1}},${sampleJson.slice(1)}`), 400, 'GW_ERR_VALIDATION');
      expect(ctor.issues).toEqual([{ field: 'constructor', reason: 'is not a known field' }]);
      const inRow = expectError(await post(gw.http, '/predict', `{"instances":[{"__proto__":{"age":1},${sampleJson.slice(1)}]}`), 400, 'GW_ERR_VALIDATION');
      expect(inRow.issues).toEqual([{ field: 'instances[0].__proto__', reason: 'is not a known field' }]);
      // `instances` hidden behind __proto__ must not turn the body into a batch.
      const hidden = expectError(await post(gw.http, '/predict', `{"__proto__":{"instances":[${sampleJson}]}}`), 400, 'GW_ERR_VALIDATION');
      expect(hidden.issues).toContainEqual({ field: '__proto__', reason: 'is not a known field' });
      // The gateway runs in this process: nothing may have reached Object.prototype.
      expect((({}) as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('unknown fields are rejected by name, at the top level and in rows', async () => {
      const top = expectError(await post(gw.http, '/predict', { instances: [sample], model: 'other' }), 400, 'GW_ERR_VALIDATION');
      expect(top.issues).toEqual([{ field: 'model', reason: 'is not a known field' }]);
      const { 'education-num': educationNum, ...rest } = sample;
      const misspelt = expectError(await post(gw.http, '/predict', { instances: [sample, { ...rest, education_num: educationNum }] }), 400, 'GW_ERR_VALIDATION');
      expect(misspelt.issues).toEqual(
        expect.arrayContaining([
          { field: 'instances[1].education-num', reason: 'is required' },
          { field: 'instances[1].education_num', reason: 'is not a known field' },
        ]),
      );
    });

    it('a duplicated key: the last one wins, as in JSON.parse', async () => {
      const response = await post(gw.http, '/predict', `{"age":-1,${sampleJson.slice(1)}`);
      expect(response.status).toBe(200);
      expect(response.body).toEqual(samplePrediction);
    });
  });

  describe('text', () => {
    // "Self-emp" is a workclass the model never saw, so any other unseen value predicts the same.
    it.each([
      ['emoji', '😀👩‍👩‍👧'],
      ['CJK and right-to-left', '自営業 עצמאי'],
      ['combining marks', 'Se\u0301lf-e\u0300mp'],
      ['escaped NUL and control characters', '\u0000\u0001\u001f\u007f'],
      ['32 emoji: 64 UTF-16 code units, the limit', '😀'.repeat(32)],
    ])('%s in a string field → 200', async (_name, workclass) => {
      const response = await post(gw.http, '/predict', { ...sample, workclass });
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      expect(response.body).toEqual(samplePrediction);
    });

    it.each([
      ['a lone high surrogate', '"\\ud800"'],
      ['a lone low surrogate', '"ab\\udc00"'],
      ['a reversed pair', '"\\ude00\\ud83d"'],
    ])('%s → 400: it has no UTF-8 form and would reach the model as U+FFFD', async (_name, literal) => {
      const error = expectError(await post(gw.http, '/predict', sampleJson.replace('"Self-emp"', literal)), 400, 'GW_ERR_VALIDATION');
      expect(error.issues).toEqual([{ field: 'workclass', reason: 'must be valid Unicode text (it holds an unpaired surrogate)' }]);
    });

    it('bytes that are not UTF-8 → 400 GW_ERR_INVALID_JSON', async () => {
      const [before, after] = sampleJson.split('Self-emp');
      const body = Buffer.concat([Buffer.from(before!), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(after!)]);
      const response = await gw.http.request({ method: 'POST', path: '/predict', headers: { 'content-type': 'application/json' }, body });
      const parsed = JSON.parse(await response.body.text()) as unknown;
      const error = expectError({ status: response.statusCode, headers: response.headers, body: parsed }, 400, 'GW_ERR_INVALID_JSON');
      expect(error.message).toMatch(/not valid UTF-8/);
    });

    it('a raw control character inside a string → 400 GW_ERR_INVALID_JSON', async () => {
      expectError(await post(gw.http, '/predict', sampleJson.replace('Self-emp', 'Self\u0001emp')), 400, 'GW_ERR_INVALID_JSON');
    });
  });

  describe('content type and body', () => {
    it.each([
      ['application/json', 200],
      ['application/json; charset=utf-8', 200],
      ['Application/JSON;charset="UTF-8"', 200],
      ['application/json; charset=utf8', 200],
    ])('%s → %i', async (contentType, status) => {
      const response = await post(gw.http, '/predict', sampleJson, { 'content-type': contentType });
      expect(response.status).toBe(status);
    });

    it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', 'application/jsonx', 'application/vnd.api+json', ';;;'])(
      'content-type %s → 415',
      async (contentType) => {
        const error = expectError(await post(gw.http, '/predict', sampleJson, { 'content-type': contentType }), 415, 'GW_ERR_UNSUPPORTED_MEDIA_TYPE');
        expect(error.message).toMatch(/application\/json/);
      },
    );

    it('no content-type → 415', async () => {
      const response = await gw.http.request({ method: 'POST', path: '/predict', body: sampleJson });
      const body = JSON.parse(await response.body.text()) as unknown;
      expectError({ status: response.statusCode, headers: response.headers, body }, 415, 'GW_ERR_UNSUPPORTED_MEDIA_TYPE');
    });

    it.each(['latin1', 'utf-16', 'ISO-8859-1'])('charset=%s → 415 naming the charset', async (charset) => {
      const error = expectError(await post(gw.http, '/predict', sampleJson, { 'content-type': `application/json; charset=${charset}` }), 415, 'GW_ERR_UNSUPPORTED_MEDIA_TYPE');
      expect(error.message).toContain(`"${charset}"`);
    });

    it('an empty or blank body → 400 GW_ERR_INVALID_JSON', async () => {
      expect(expectError(await post(gw.http, '/predict', ''), 400, 'GW_ERR_INVALID_JSON').message).toMatch(/empty/);
      expectError(await post(gw.http, '/predict', ' \n\t '), 400, 'GW_ERR_INVALID_JSON');
    });

    it('a leading byte order mark is ignored → 200', async () => {
      const response = await post(gw.http, '/predict', `\ufeff${sampleJson}`);
      expect(response.status).toBe(200);
    });

    it.each([
      ['"a string"', 'must be object, got string'],
      ['true', 'must be object, got boolean'],
      ['null', 'must be object, got null'],
      ['[]', 'must be object, got array'],
      ['42', 'must be object, got number'],
    ])('the JSON %s as the body → 400', async (body, reason) => {
      const error = expectError(await post(gw.http, '/predict', body), 400, 'GW_ERR_VALIDATION');
      expect(error.issues).toEqual([{ field: '(body)', reason }]);
    });
  });

  describe('instances', () => {
    it.each([
      ['[]', 'instances', 'must hold at least 1 items'],
      ['{}', 'instances', 'must be array, got object'],
      ['"rows"', 'instances', 'must be array, got string'],
      ['null', 'instances', 'must be array, got null'],
      ['[null]', 'instances[0]', 'must be object, got null'],
      ['[1]', 'instances[0]', 'must be object, got number'],
    ])('instances: %s → 400 naming %s', async (instances, field, reason) => {
      const error = expectError(await post(gw.http, '/predict', `{"instances":${instances}}`), 400, 'GW_ERR_VALIDATION');
      expect(error.issues).toEqual([{ field, reason }]);
    });

    it('more rows than --max-request-rows → 413 before any row is looked at', async () => {
      const error = expectError(await post(gw.http, '/predict', { instances: Array.from({ length: MAX_ROWS + 1 }, () => null) }), 413, 'GW_ERR_TOO_MANY_ROWS');
      expect(error).toMatchObject({ field: 'instances', rows: MAX_ROWS + 1, limitRows: MAX_ROWS });
    });

    it('exactly --max-request-rows rows → 200', async () => {
      const response = await post(gw.http, '/predict', { instances: Array.from({ length: MAX_ROWS }, () => sample) });
      expect(response.status).toBe(200);
      expect((response.body as { predictions: unknown[] }).predictions).toHaveLength(MAX_ROWS);
    });
  });

  describe('headers', () => {
    it.each(['soon', '', ' ', '0x10', '1e3', '1.5', '-1', 'Infinity', '10, 20', '9'.repeat(40)])('x-request-timeout %j → 400 naming the header', async (value) => {
      const error = expectError(await post(gw.http, '/predict', sample, { 'x-request-timeout': value }), 400, 'GW_ERR_VALIDATION');
      expect(error.issues).toEqual([{ field: 'header x-request-timeout', reason: 'must be a whole number of milliseconds from 1 to 300000' }]);
    });

    it.each([
      ['0', 'must be >= 1'],
      ['300001', 'must be <= 300000'],
    ])('x-request-timeout %s → 400: %s', async (value, reason) => {
      const error = expectError(await post(gw.http, '/predict', sample, { 'x-request-timeout': value }), 400, 'GW_ERR_VALIDATION');
      expect(error.issues).toEqual([{ field: 'header x-request-timeout', reason }]);
    });

    it('x-request-timeout 250 → 200', async () => {
      expect((await post(gw.http, '/predict', sample, { 'x-request-timeout': '250' })).status).toBe(200);
    });

    it.each(['has spaces', '<script>', 'a'.repeat(129), 'x\ty', 'a;b', '"quoted"'])(
      'an x-request-id that is not safe to echo (%j) is replaced by a new UUID, not echoed',
      async (id) => {
        const response = await post(gw.http, '/predict', sample, { 'x-request-id': id });
        expect(response.status).toBe(200);
        expect(response.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      },
    );

    it('headers larger than Node accepts → 431 in the same error shape', async () => {
      const text = await rawRequest(
        port,
        `POST /predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nx-request-id: ${'a'.repeat(64 * 1024)}\r\ncontent-length: ${sampleJson.length}\r\n\r\n${sampleJson}`,
      );
      const response = parseRawResponse(text);
      expect(response.status).toBe(431);
      expect(errorOf(response.body)).toMatchObject({ code: 'GW_ERR_BAD_REQUEST', requestId: response.headers['x-request-id'] });
    });

    it('a request that is not HTTP → 400 in the same error shape', async () => {
      const response = parseRawResponse(await rawRequest(port, 'HELLO\x00 /predict HTTP/9\r\n\r\n'));
      expect(response.status).toBe(400);
      expect(errorOf(response.body).code).toBe('GW_ERR_BAD_REQUEST');
    });
  });

  it('after all of it the gateway still serves, with no worker restarted', async () => {
    const response = await post(gw.http, '/predict', sample);
    expect(response.status).toBe(200);
    expect(response.body).toEqual(samplePrediction);
    expect((await get(gw.http, '/health/ready')).status).toBe(200);
    expect((await get(gw.http, '/metrics')).text).toContain('gateway_worker_restarts_total{model="census-income"} 0');
  });
});
