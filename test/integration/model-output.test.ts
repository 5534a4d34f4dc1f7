import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, post, startTestGateway, TOY_MODEL_DIR, type TestGateway } from '../helpers/gateway.js';

interface RowFailure {
  readonly code: string;
  readonly workerCode?: string;
  readonly message: string;
  readonly field?: string;
  readonly row?: number;
}

describe("results checked against the manifest's declared output; a failing row named (toy model, real worker)", () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({ model: TOY_MODEL_DIR, workers: 1 });
  });

  afterAll(async () => {
    await gw?.close();
  });

  it('a result missing a required field (and holding an undeclared one) → 500 GW_ERR_MODEL RESULT_SCHEMA naming both fields', async () => {
    const response = await post(gw.http, '/predict', { x: 1, mode: 'wrong-output' });
    expect(response.status).toBe(500);
    const error = errorOf(response.body) as RowFailure;
    expect(error.code).toBe('GW_ERR_MODEL');
    expect(error.workerCode).toBe('RESULT_SCHEMA');
    expect(error.message).toContain('y: is required');
    expect(error.message).toContain('total: is not a known field');
    expect(error.field).toBeUndefined();
  });

  it('in several rows, only the request holding the bad result fails, naming instances[2]; a request batched with it is served', async () => {
    const [bad, good] = await Promise.all([
      post(gw.http, '/predict', { instances: [{ x: 1 }, { x: 2 }, { x: 3, mode: 'wrong-output' }] }),
      post(gw.http, '/predict', { instances: [{ x: 4 }, { x: 5 }] }),
    ]);
    expect(bad.status).toBe(500);
    const error = errorOf(bad.body) as RowFailure;
    expect(error).toMatchObject({ code: 'GW_ERR_MODEL', workerCode: 'RESULT_SCHEMA', field: 'instances[2]', row: 2 });
    expect(error.message.startsWith('instances[2]: ')).toBe(true);
    expect(good.status).toBe(200);
    expect((good.body as { predictions: { y: number }[] }).predictions.map((p) => p.y)).toEqual([8, 10]);
  });

  it('a handler error on one row of several → 500 naming that row (instances[1])', async () => {
    const response = await post(gw.http, '/predict', { instances: [{ x: 1 }, { x: 2, mode: 'boom' }, { x: 3 }] });
    expect(response.status).toBe(500);
    expect(errorOf(response.body) as RowFailure).toMatchObject({ code: 'GW_ERR_MODEL', workerCode: 'HANDLER_ERROR', field: 'instances[1]', row: 1 });
  });
});
