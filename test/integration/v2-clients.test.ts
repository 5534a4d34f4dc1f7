import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelSpec } from '../../src/model/manifest.js';
import type { Row } from '../../src/model/row-schema.js';
import { readAdult } from '../helpers/adult.js';
import { censusAnswer, censusModel, digitOf, digitsModel, FakeV2Models, type FakeV2Model } from '../helpers/fake-v2-models.js';
import { CENSUS_MODEL_DIR } from '../helpers/paths.js';
import { buildV2App } from '../helpers/v2-app.js';
import { runV2Client } from '../helpers/v2-client.js';

const execFileAsync = promisify(execFile);

/**
 * Real third-party clients (tritonclient's HTTP client, curl) against the V2
 * routes on a real listening server, over fake models with the example
 * models' declarations: what they send, the front door must read, and what
 * it answers, they must read back.
 */
let app: FastifyInstance;
let hostPort: string;
let census: FakeV2Model;
let digits: FakeV2Model;

beforeAll(async () => {
  census = await censusModel();
  digits = digitsModel();
  app = await buildV2App({ models: new FakeV2Models([census, digits]), extensions: ['model_repository'] });
  await app.listen({ host: '127.0.0.1', port: 0 });
  hostPort = `127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(() => app.close());

const { manifest } = await loadModelSpec(CENSUS_MODEL_DIR);
const censusRows: Row[] = readAdult().slice(0, 5).map(({ row }) => row);

describe('tritonclient.http', () => {
  it('reads health, metadata and census-income\'s outputs, JSON and binary, and each equals the model\'s answer', async () => {
    const report = await runV2Client(hostPort, 'census-income', censusRows);
    expect([report.live, report.ready, report.model_ready]).toEqual([true, true, true]);
    expect(report.server_metadata.extensions).toEqual(['binary_tensor_data', 'model_repository']);
    expect(report.metadata.inputs).toHaveLength(Object.keys(manifest.input.properties).length);
    const expected = { probability: censusRows.map((r) => censusAnswer(r).probability), income: censusRows.map((r) => censusAnswer(r).income) };
    expect(report.json).toEqual(expected);
    expect(report.json_id).toBe('json-1');
    expect(report.binary).toEqual(expected);
    expect(report.binary_sizes).toEqual({ probability: 8 * censusRows.length, income: expect.any(Number) });
    expect(report.error).toEqual({ message: expect.stringMatching(/^no-such-input: is not an input of census-income/), status: '400' });
    // Both inferences reached the model as the very rows sent (BYTES columns included), and the bad one did not.
    expect(census.calls.map((call) => call.rows)).toEqual([censusRows, censusRows]);
  });

  it('sends digits\' pixels as one [N, 64] FP32 tensor', async () => {
    const rows = [Array.from({ length: 64 }, (_, i) => i % 17), Array.from({ length: 64 }, () => 3)].map((pixels) => ({ pixels }));
    const report = await runV2Client(hostPort, 'digits', rows);
    expect(report.metadata.inputs).toEqual([{ name: 'pixels', datatype: 'FP32', shape: [-1, 64] }]);
    const expected = rows.map((r) => digitOf(r.pixels));
    expect(report.json.digit).toEqual(expected);
    expect(report.binary.digit).toEqual(expected);
    expect(report.binary_sizes.digit).toBe(8 * rows.length);
    expect(digits.calls.map((call) => call.rows)).toEqual([rows, rows]);
  });
});

describe('curl', () => {
  it('posts the V2 request MLServer documents for a pandas-coded model and gets the model\'s answers', async () => {
    // MLServer's content-type guide: request parameters {"content_type": "pd"}, one input per column,
    // string columns as BYTES with {"content_type": "str"}, integer columns as INT32.
    const body = {
      parameters: { content_type: 'pd' },
      inputs: Object.keys(manifest.input.properties).map((name) => {
        const data = censusRows.map((row) => row[name]);
        return typeof data[0] === 'string'
          ? { name, datatype: 'BYTES', parameters: { content_type: 'str' }, shape: [censusRows.length], data }
          : { name, datatype: 'INT32', shape: [censusRows.length], data };
      }),
    };
    const { stdout } = await execFileAsync('curl', [
      '-sS', '-X', 'POST', `http://${hostPort}/v2/models/census-income/infer`,
      '-H', 'Content-Type: application/json', '--data-binary', JSON.stringify(body), '-w', '\n%{http_code}',
    ]);
    const [json, status] = stdout.split('\n');
    expect(status).toBe('200');
    const response = JSON.parse(json!) as { outputs: { name: string; data: unknown[] }[] };
    expect(response.outputs.find((o) => o.name === 'income')!.data).toEqual(censusRows.map((r) => censusAnswer(r).income));
    expect(response.outputs.find((o) => o.name === 'probability')!.data).toEqual(censusRows.map((r) => censusAnswer(r).probability));
  });
});
