import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, post, startTestGateway, TOY_MODEL_DIR, type TestGateway } from '../helpers/gateway.js';
import { hasPromtool } from '../helpers/promtool.js';

const promtool = hasPromtool();
if (!promtool) console.warn('skipping the /metrics lint: promtool is not installed (Debian package prometheus; test/helpers/global-setup.ts installs it when run as root)');

describe.skipIf(!promtool)('GET /metrics passes `promtool check metrics` (real server)', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({ model: TOY_MODEL_DIR, workers: 1 });
    // Every family gets series: a prediction, a refused request, a model error.
    await post(gw.http, '/predict', { x: 1 });
    await post(gw.http, '/predict', { x: 1, mode: 'boom' });
  });

  afterAll(async () => {
    await gw?.close();
  });

  it('exits 0 with no lint problem (no _total on gauges, no doubled prefix)', async () => {
    const metrics = await get(gw.http, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('gateway_process_cpu_seconds_total');
    const check = spawnSync('promtool', ['check', 'metrics'], { input: metrics.text, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`).toBe('');
    expect(check.status).toBe(0);
  });
});
