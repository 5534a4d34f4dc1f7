import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, startTestGateway, TOY_MODEL_DIR, type TestGateway } from '../helpers/gateway.js';
import { parseRawResponse, rawRequest } from '../helpers/raw-http.js';

const TOKEN = 'test-admin-token-0123456789';

/** Raw bytes on a fresh connection (`connection: close` asked), for requests an HTTP client will not send. */
const raw = async (port: number, request: string) => parseRawResponse(await rawRequest(port, request));

const codeOf = (body: unknown): string => (body as { error: { code: string } }).error.code;

describe('HTTP semantics a client expects of a well-kept server (real server)', () => {
  let gw: TestGateway;
  let port: number;

  beforeAll(async () => {
    gw = await startTestGateway({ model: TOY_MODEL_DIR, workers: 1, adminToken: TOKEN });
    port = Number(new URL(gw.url).port);
  });

  afterAll(async () => {
    await gw?.close();
  });

  it('401 names its scheme: WWW-Authenticate: Bearer', async () => {
    const response = await gw.http.request({ method: 'GET', path: '/admin/config' });
    await response.body.dump();
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="admin"');
  });

  it.each([
    ['GET', '/predict', 'POST'],
    ['DELETE', '/health/live', 'GET, HEAD'],
    ['PUT', '/models/toy/predict', 'POST'],
    ['POST', '/metrics', 'GET, HEAD'],
  ])('%s %s → 405 with Allow: %s, in the JSON error shape', async (method, path, allow) => {
    const response = await gw.http.request({ method, path, headers: { 'content-type': 'application/json' }, body: method === 'GET' || method === 'DELETE' ? undefined : '{}' });
    const body = (await response.body.json()) as { error: { code: string; allow: string[] } };
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe(allow);
    expect(body.error.code).toBe('GW_ERR_METHOD_NOT_ALLOWED');
    expect(body.error.allow).toEqual(allow.split(', '));
  });

  it('an unknown path is still 404', async () => {
    const response = await get(gw.http, '/nothing-here');
    expect(response.status).toBe(404);
    expect(codeOf(JSON.parse(response.text))).toBe('GW_ERR_NOT_FOUND');
  });

  it('a method no route knows (QUERY) → 405 on a known path and 404 elsewhere, not GW_ERR_INVALID_JSON', async () => {
    const known = await raw(port, 'QUERY /predict HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    expect(known.status).toBe(405);
    expect(known.headers.allow).toBe('POST');
    expect(codeOf(known.body)).toBe('GW_ERR_METHOD_NOT_ALLOWED');
    const unknown = await raw(port, 'QUERY /nowhere HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    expect(unknown.status).toBe(404);
    expect(codeOf(unknown.body)).toBe('GW_ERR_NOT_FOUND');
  });

  it('HTTP/1.1 without Host → 400 in the JSON error shape (Node would send an empty body)', async () => {
    const response = await raw(port, 'GET /health/live HTTP/1.1\r\nconnection: close\r\n\r\n');
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(codeOf(response.body)).toBe('GW_ERR_BAD_REQUEST');
  });

  it('Expect: foo → 417 in the JSON error shape', async () => {
    const response = await raw(port, 'GET /health/live HTTP/1.1\r\nhost: x\r\nexpect: foo\r\nconnection: close\r\n\r\n');
    expect(response.status).toBe(417);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(codeOf(response.body)).toBe('GW_ERR_BAD_REQUEST');
    expect((response.body as { error: { requestId: string } }).error.requestId).toBe(response.headers['x-request-id']);
  });

  it('the OpenAPI document declares the response headers, the /metrics media type and the admin 415', async () => {
    const document = JSON.parse((await get(gw.http, '/openapi.json')).text) as {
      paths: Record<string, Record<string, { responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, unknown> }> }>>;
    };
    const predict = document.paths['/predict']!.post!.responses;
    expect(Object.keys(predict['200']!.headers!)).toEqual(expect.arrayContaining(['x-request-id', 'x-model-version']));
    expect(Object.keys(predict['503']!.headers!)).toContain('retry-after');
    expect(Object.keys(document.paths['/metrics']!.get!.responses['200']!.content!)).toEqual(['text/plain; version=0.0.4; charset=utf-8']);
    const tune = document.paths['/admin/config']!.patch!.responses;
    expect(tune).toHaveProperty('415');
    expect(Object.keys(tune['401']!.headers!)).toContain('www-authenticate');
  });
});
