import { Pool } from 'undici';
import { describe, expect, it, vi } from 'vitest';
import { startGatewayChild } from '../helpers/gateway-child.js';
import { CENSUS_PYTHON, TOY_MODEL_DIR } from '../helpers/gateway.js';

const SERVE_TOY = ['--host', '127.0.0.1', '--port', '0', '--model', TOY_MODEL_DIR, '--worker-python', CENSUS_PYTHON, '--no-prepare', '--workers', '2', '--log-level', 'info'];

const STOPPING = 'stopping: refusing new work, answering accepted requests, then stopping workers';

type Outcome = { kind: 'ok'; y: number } | { kind: 'refused'; status: number } | { kind: 'lost'; detail: string };

describe('graceful shutdown', () => {
  it('on SIGTERM under load answers every accepted request, refuses new ones with 503, and exits 0', async () => {
    const gateway = await startGatewayChild(SERVE_TOY);
    const load = new Pool(gateway.url!, { connections: 256 });
    const probe = new Pool(gateway.url!, { connections: 1 });
    const total = 256;
    // 10 ms of model time per row: the two workers need over a second for all of them.
    const send = async (x: number): Promise<Outcome> => {
      try {
        const response = await load.request({ method: 'POST', path: '/predict', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x, mode: 'sleep', seconds: 0.01 }) });
        const body = (await response.body.json()) as { y?: number };
        return response.statusCode === 200 ? { kind: 'ok', y: body.y! } : { kind: 'lost', detail: `status ${response.statusCode}` };
      } catch (error) {
        return { kind: 'lost', detail: String(error) };
      }
    };
    const outcomes = Array.from({ length: total }, (_, x) => send(x));
    // Every request has been accepted (the gateway counted its row) before the signal.
    await vi.waitFor(
      async () => {
        const metrics = await (await probe.request({ method: 'GET', path: '/metrics' })).body.text();
        expect(metrics).toMatch(new RegExp(`^gateway_rows_total\\{model="toy",source="http"\\} ${total}$`, 'm'));
      },
      { timeout: 30_000, interval: 10 },
    );
    gateway.process.kill('SIGTERM');
    // Once the gateway has taken the signal, a request arriving during the drain is refused, not queued.
    await vi.waitFor(() => expect(gateway.lines.some((line) => line.msg === STOPPING)).toBe(true), { timeout: 10_000, interval: 2 });
    const late = await probe
      .request({ method: 'POST', path: '/predict', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: 1 }) })
      .then(async (response) => ({ status: response.statusCode, body: (await response.body.json()) as { error?: { code: string } } }))
      .catch((error: unknown) => ({ status: 0, body: { error: { code: (error as { code?: string }).code ?? 'network' } } }));
    const settled = await Promise.all(outcomes);
    const exit = await gateway.exited;
    await Promise.all([load.destroy(), probe.destroy()]);

    expect(settled.filter((o) => o.kind !== 'ok')).toEqual([]);
    settled.forEach((o, x) => expect(o).toEqual({ kind: 'ok', y: x * 2 }));
    expect([503, 0]).toContain(late.status);
    if (late.status === 503) expect(late.body.error?.code).toBe('GW_ERR_SHUTTING_DOWN');
    expect(exit).toEqual({ code: 0, signal: null });

  });

  it('exits with 1 when the grace period ends before the accepted work is done', async () => {
    const gateway = await startGatewayChild([...SERVE_TOY, '--shutdown-grace-ms', '300']);
    const http = new Pool(gateway.url!, { connections: 2 });
    const slow = http.request({ method: 'POST', path: '/predict', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: 1, mode: 'sleep', seconds: 20 }) }).catch((e: unknown) => e);
    await vi.waitFor(() => expect(gateway.lines.some((l) => typeof l.msg === 'string')).toBe(true));
    // The request is at a worker once the gateway reports a batch in flight.
    await vi.waitFor(
      async () => {
        const metrics = await (await http.request({ method: 'GET', path: '/metrics' })).body.text();
        expect(metrics).toMatch(/^gateway_batches_in_flight\{model="toy"\} 1$/m);
      },
      { timeout: 10_000, interval: 10 },
    );
    gateway.process.kill('SIGTERM');
    const exit = await gateway.exited;
    await slow;
    await http.destroy();
    expect(exit.code).toBe(1);
    expect(gateway.lines.some((line) => /grace period over/.test(String(line.msg)))).toBe(true);
  });
});
