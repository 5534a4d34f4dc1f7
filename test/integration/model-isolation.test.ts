import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, get, post, startTestGateway, TOY_MODEL_DIR, type TestGateway } from '../helpers/gateway.js';
import { TestRepository } from '../helpers/repository.js';

const HEALTHY_CLIENTS = 8;
const HEALTHY_REQUESTS = 100;

/** Sends requests in a loop until `stop()` says so; collects the answers' statuses and error codes. */
function loop(gw: TestGateway, model: string, body: (i: number) => unknown, stop: () => boolean): Promise<{ status: number; code?: string }[]> {
  return (async () => {
    const seen: { status: number; code?: string }[] = [];
    for (let i = 0; !stop(); i++) {
      const response = await post(gw.http, `/models/${model}/predict`, body(i));
      seen.push(response.status === 200 ? { status: 200 } : { status: response.status, code: errorOf(response.body).code });
    }
    return seen;
  })();
}

function counter(metrics: string, name: string, model: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name}{model="${model}"}`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('one model in trouble never fails another', () => {
  const repository = new TestRepository({
    healthy: { from: TOY_MODEL_DIR },
    hanging: { from: TOY_MODEL_DIR },
    crashing: { from: TOY_MODEL_DIR },
  });
  let gw: TestGateway;

  beforeAll(async () => {
    // A short hang budget, so the hanging model's workers are killed and replaced all the time.
    gw = await startTestGateway({ modelRepository: repository.root, workers: 2, batchTimeoutFloorMs: 300 });
  });
  afterAll(async () => {
    await gw?.close();
    repository.remove();
  });

  it('answers every request to a healthy model while another hangs and a third crash-loops, all under load', async () => {
    let done = false;
    const stop = () => done;
    // The sick models are kept busy for as long as the healthy one is measured.
    const hanging = Array.from({ length: 8 }, (_, c) => loop(gw, 'hanging', (i) => ({ x: c * 1000 + i, mode: 'sleep', seconds: 30 }), stop));
    const crashing = Array.from({ length: 8 }, (_, c) => loop(gw, 'crashing', (i) => ({ x: c * 1000 + i, mode: 'exit' }), stop));
    const healthy = await Promise.all(
      Array.from({ length: HEALTHY_CLIENTS }, async (_, c) => {
        const answers: { status: number; y?: number; expected: number }[] = [];
        for (let i = 0; i < HEALTHY_REQUESTS; i++) {
          const x = c * 1000 + i;
          const response = await post(gw.http, '/models/healthy/predict', { x });
          answers.push({ status: response.status, y: (response.body as { y?: number }).y, expected: 2 * x });
        }
        return answers;
      }),
    );
    done = true;
    const sick = { hanging: (await Promise.all(hanging)).flat(), crashing: (await Promise.all(crashing)).flat() };

    // Every healthy request completed, correctly, with no error at all.
    const answers = healthy.flat();
    expect(answers).toHaveLength(HEALTHY_CLIENTS * HEALTHY_REQUESTS);
    expect(answers.filter((a) => a.status !== 200 || a.y !== a.expected)).toEqual([]);

    // The others really were in trouble meanwhile: their rows failed, their workers were replaced.
    expect(sick.crashing.length).toBeGreaterThan(0);
    expect(sick.crashing.every((a) => a.status !== 200)).toBe(true);
    expect(new Set(sick.crashing.map((a) => a.code))).toContain('GW_ERR_POISON_ROW');
    const metrics = (await get(gw.http, '/metrics')).text;
    expect(counter(metrics, 'gateway_worker_restarts_total', 'crashing')).toBeGreaterThan(0);
    expect(counter(metrics, 'gateway_worker_restarts_total', 'hanging')).toBeGreaterThan(0);
    expect(counter(metrics, 'gateway_worker_restarts_total', 'healthy')).toBe(0);
    expect(counter(metrics, 'gateway_expired_requests_total', 'healthy')).toBe(0);
  });
});
