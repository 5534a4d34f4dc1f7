import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readAdult } from '../helpers/adult.js';
import { errorOf, get, post, startTestGateway, type JsonResponse, type TestGateway } from '../helpers/gateway.js';
import { CENSUS_MODEL_DIR, ROOT } from '../helpers/paths.js';

const SLOW_MODEL_DIR = path.join(ROOT, 'test', 'fixtures', 'models', 'slow');
const ADMIN_TOKEN = 'test-admin-token-adaptive-5b21';

/** `clients` callers, each sending `each` requests one after the other; every answer, in order of completion. */
async function closedLoop(clients: number, each: number, send: (client: number, k: number) => Promise<JsonResponse>): Promise<JsonResponse[]> {
  const answers: JsonResponse[] = [];
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      for (let k = 0; k < each; k++) answers.push(await send(client, k));
    }),
  );
  return answers;
}

/** Batches and rows so far, from the `gateway_batch_rows` histogram. */
async function batchTotals(gw: TestGateway, model: string): Promise<{ batches: number; rows: number }> {
  const text = (await get(gw.http, '/metrics')).text;
  const value = (name: string) => Number(new RegExp(`^gateway_batch_rows_${name}\\{model="${model}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { batches: value('count'), rows: value('sum') };
}

function refusals(answers: readonly JsonResponse[]): { status: number; code: string }[] {
  return answers.filter((a) => a.status !== 200).map((a) => ({ status: a.status, code: errorOf(a.body)?.code }));
}

describe('a model whose fixed batch cost exceeds its latency objective (150 ms per batch, objective 100 ms)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ model: SLOW_MODEL_DIR, adminToken: ADMIN_TOKEN });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('answers 64 closed-loop clients without a single refusal, in batches of at least 16 rows, every answer correct', async () => {
    const before = await batchTotals(gw, 'slow');
    const answers = await closedLoop(64, 8, async (client, k) => {
      const x = client * 100 + k;
      const answer = await post(gw.http, '/predict', { x });
      if (answer.status === 200) expect(answer.body).toEqual({ y: 2 * x });
      return answer;
    });
    expect(refusals(answers)).toEqual([]);
    const after = await batchTotals(gw, 'slow');
    expect((after.rows - before.rows) / (after.batches - before.batches)).toBeGreaterThanOrEqual(16);
    // The engine says that it ignores the objective, and why.
    expect((await get(gw.http, '/metrics')).text).toMatch(/^gateway_latency_objective_feasible\{model="slow"\} 0$/m);
    const config = await gw.http.request({ method: 'GET', path: '/admin/config', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const state = (await config.body.json()) as { cost: { slowMarginMs: number } };
    expect(state).toMatchObject({ objectiveFeasible: false, objectiveInfeasibleReason: 'one-row' });
    const metrics = (await get(gw.http, '/metrics')).text;
    expect(metrics).toMatch(/^gateway_batches_over_objective_budget_total\{model="slow",reason="infeasible"\} [1-9]/m);
    // What the cap and admission add to the line for the slow batches: reported in both places alike.
    expect(state.cost.slowMarginMs).toBeGreaterThanOrEqual(0);
    expect(metrics).toMatch(/^gateway_batch_cost_slow_margin_seconds\{model="slow"\} \d/m);
  });

  it('answers one 4096-row request in at most 8 batches', async () => {
    const before = await batchTotals(gw, 'slow');
    const rows = Array.from({ length: 4096 }, (_, x) => ({ x }));
    const answer = await post(gw.http, '/predict', { instances: rows });
    expect(answer.status).toBe(200);
    expect((answer.body as { predictions: { y: number }[] }).predictions.map((p) => p.y)).toEqual(rows.map((r) => 2 * r.x));
    const after = await batchTotals(gw, 'slow');
    expect(after.batches - before.batches).toBeLessThanOrEqual(8);
  });
});

describe('census-income cold: a burst right after start, and right after every worker restarted', () => {
  let gw: TestGateway;
  const rows = readAdult('adult.test').slice(0, 256).map((d) => d.row);
  const burst = () => closedLoop(64, 4, (client, k) => post(gw.http, '/predict', rows[(client * 4 + k) % rows.length]));

  beforeAll(async () => {
    gw = await startTestGateway({ model: CENSUS_MODEL_DIR, workers: 2 });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('refuses none of 64 concurrent clients on a freshly started gateway', async () => {
    expect(refusals(await burst())).toEqual([]);
  });

  it('refuses none of 64 concurrent clients once every worker has just been restarted', async () => {
    const old = gw.pids();
    for (const pid of old) process.kill(pid, 'SIGKILL');
    await vi.waitFor(
      () => {
        expect(gw.model().pool.readyCount).toBe(2);
        expect(gw.pids().some((pid) => old.includes(pid))).toBe(false);
      },
      { timeout: 60_000, interval: 20 },
    );
    expect(refusals(await burst())).toEqual([]);
  });
});
