import { describe, expect, it } from 'vitest';
import { DeadlineExceededError, ModelError, QueueFullError, type GatewayError } from '../../../src/errors.js';
import { ForwardedModel, type Forwarder } from '../../../src/forward/forwarded-model.js';
import { MetricFamilies } from '../../../src/metrics/metric-families.js';
import { loadModelSpec } from '../../../src/model/manifest.js';
import type { Result, Row } from '../../../src/model/row-schema.js';
import { TOY_MODEL_DIR } from '../../helpers/gateway.js';

/** A forwarder whose rows are answered when told. */
class FakeForwarder implements Forwarder {
  ready = true;
  limit = 100;
  readonly sent: { row: Row; model: string; requestId: string | undefined; answer: (outcome: Result | GatewayError) => void }[] = [];
  health() {
    return this.ready ? { ready: true } : { ready: false, reason: 'broker down' };
  }
  admit(rows: number): void {
    if (this.sent.length + rows > this.limit) throw new QueueFullError(this.sent.length, this.limit);
  }
  forward(row: Row, model: string, options: { timeoutMs: number; requestId?: string | undefined }): Promise<Result | GatewayError> {
    return new Promise((resolve) => this.sent.push({ row, model, requestId: options.requestId, answer: resolve }));
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

async function setUp() {
  const forwarder = new FakeForwarder();
  const families = new MetricFamilies();
  const model = new ForwardedModel(await loadModelSpec(TOY_MODEL_DIR), forwarder, families);
  return { forwarder, families, model };
}

describe('ForwardedModel', () => {
  it('forwards each row with its model name and request id, and answers the results in row order', async () => {
    const { forwarder, model, families } = await setUp();
    const prediction = model.predict([{ x: 1 }, { x: 2 }], { timeoutMs: 1000, source: 'http', requestId: 'r-1' });
    await tick();
    expect(forwarder.sent.map((s) => [s.row, s.model, s.requestId])).toEqual([
      [{ x: 1 }, model.name, 'r-1'],
      [{ x: 2 }, model.name, 'r-1'],
    ]);
    forwarder.sent[1]!.answer({ y: 2 });
    forwarder.sent[0]!.answer({ y: 1 });
    expect(await prediction).toEqual({ results: [{ y: 1 }, { y: 2 }], modelVersion: model.version });
    const text = await families.registry.metrics();
    expect(text).toContain(`gateway_rows_total{model="${model.name}",source="http"} 2`);
    expect(text).toContain(`gateway_request_duration_seconds_count{model="${model.name}",source="http",code="ok"} 1`);
  });

  it("rejects with the far side's typed error, a model failure naming its row as the local engine does", async () => {
    const { forwarder, model } = await setUp();
    const prediction = model.predict([{ x: 1 }, { x: 2 }], { timeoutMs: 1000, source: 'http' });
    await tick();
    forwarder.sent[0]!.answer({ y: 1 });
    forwarder.sent[1]!.answer(new ModelError('HANDLER_ERROR', 'boom'));
    const error = await prediction.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).location.row).toBe(1);

    const late = model.predict([{ x: 3 }], { timeoutMs: 1, source: 'v2' });
    await tick();
    forwarder.sent[2]!.answer(new DeadlineExceededError(1));
    await expect(late).rejects.toBeInstanceOf(DeadlineExceededError);
  });

  it('refuses at once, counted as shed, when the pending map is full or the broker does not answer', async () => {
    const { forwarder, model, families } = await setUp();
    forwarder.limit = 1;
    await expect(model.predict([{ x: 1 }, { x: 2 }], { timeoutMs: 1000, source: 'http' })).rejects.toBeInstanceOf(QueueFullError);
    expect(await families.registry.metrics()).toContain(`gateway_shed_requests_total{model="${model.name}",reason="GW_ERR_QUEUE_FULL"} 1`);
    forwarder.ready = false;
    expect(model.ready).toBe(false);
    expect(model.readiness()).toMatchObject({ ready: false, reason: 'broker down' });
  });

  it('answers before a request is read whether any request would be refused now, counted once as shed, taking nothing', async () => {
    const { forwarder, model, families } = await setUp();
    forwarder.limit = 1;
    expect(model.refusalOf(1, undefined)).toBeUndefined();
    void model.predict([{ x: 1 }], { timeoutMs: 1000, source: 'http' });
    expect(model.refusalOf(1, undefined)).toBeInstanceOf(QueueFullError);
    expect(forwarder.sent).toHaveLength(1);
    expect(await families.registry.metrics()).toContain(`gateway_shed_requests_total{model="${model.name}",reason="GW_ERR_QUEUE_FULL"} 1`);
    forwarder.sent[0]!.answer({ y: 2 });
  });

  it('drain refuses new requests and resolves once the forwarded rows have their replies', async () => {
    const { forwarder, model } = await setUp();
    const prediction = model.predict([{ x: 1 }], { timeoutMs: 1000, source: 'http' });
    await tick();
    let drained = false;
    const drain = model.drain().then(() => (drained = true));
    await expect(model.predict([{ x: 2 }], { timeoutMs: 1000, source: 'http' })).rejects.toMatchObject({ code: 'GW_ERR_SHUTTING_DOWN' });
    await tick();
    expect(drained).toBe(false);
    forwarder.sent[0]!.answer({ y: 1 });
    await prediction;
    await drain;
    expect(drained).toBe(true);
  });
});
