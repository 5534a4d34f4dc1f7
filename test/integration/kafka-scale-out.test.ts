import { randomUUID } from 'node:crypto';
import { Admin } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, stopBroker } from '../../scripts/broker-control.js';
import type { Result } from '../../src/model/row-schema.js';
import { readAdult } from '../helpers/adult.js';
import { createTopics, kafkaBrokers, TEST_CLIENT_OPTIONS, testTopics, until } from '../helpers/kafka.js';
import { CENSUS_MODEL_DIR, CENSUS_PYTHON } from '../helpers/paths.js';
import { TEST_BROKER_DIR } from '../helpers/kafka-setup.js';
import { referencePredictions } from '../helpers/reference.js';
import { metricSum, percentile, predictEach, predictOne, startFrontEnd, startWorkerInstance, type Answer, type Instance } from '../helpers/scale-out.js';

/**
 * Scale-out past one machine, with real processes on loopback: forwarding
 * front ends (`--forward-to-kafka`, no workers) hand HTTP requests to worker
 * instances (the Kafka front door, one consumer group) and answer with
 * their replies. The SIGKILL test leaves one worker instance; the broker
 * restart runs last.
 */
const PARTITIONS = 4;
const ROWS = 2000;
/** The worker instances' consumer session timeout (src/kafka/kafka-front-door.ts): how long a killed member holds its partitions. */
const SESSION_TIMEOUT_MS = 10_000;
/** --forward-retry-ms: a row without a reply is sent again to another partition after this long. */
const RETRY_MS = 2000;
const rows = readAdult().slice(0, ROWS).map((r) => r.row);

function lastPartitions(instance: Instance): number[] {
  return ([...instance.child.lines].reverse().find((line) => line.msg === 'partitions assigned')?.partitions as number[] | undefined) ?? [];
}

function expectAnswersEqual(answers: readonly Answer[], expected: readonly Result[], indexOf: (i: number) => number = (i) => i): void {
  const wrong = answers.map((answer, i) => ({ i, answer })).filter(({ answer, i }) => answer.status !== 200 || JSON.stringify(answer.body) !== JSON.stringify(expected[indexOf(i)]));
  expect(wrong.slice(0, 3), `${wrong.length} of ${answers.length} answers differ`).toEqual([]);
}

describe('scale-out: forwarding front ends over a Kafka consumer group of worker instances', () => {
  const topics = testTopics('scale-out');
  const workers: Instance[] = [];
  let front: Instance;
  let reference: Result[];

  beforeAll(async () => {
    await createTopics([topics.input, topics.output, topics.dlq], PARTITIONS);
    const started = await Promise.all([startWorkerInstance(topics), startWorkerInstance(topics), referencePredictions(CENSUS_PYTHON, CENSUS_MODEL_DIR, rows)]);
    workers.push(started[0], started[1]);
    reference = started[2];
    // Both members hold partitions before any load: the rebalance of the second join is over.
    await until(() => workers.every((w) => lastPartitions(w).length > 0) && workers.reduce((n, w) => n + lastPartitions(w).length, 0) === PARTITIONS, 60_000, () => `partitions: ${workers.map((w) => lastPartitions(w).join(',')).join(' | ')}`);
    front = await startFrontEnd(topics, ['--forward-retry-ms', String(RETRY_MS)]);
  }, 240_000);

  afterAll(async () => {
    await front?.stop();
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
  });

  it(`answers ${ROWS} adult.test rows sent as concurrent single requests, each equal to the in-process prediction, served by both worker instances`, async () => {
    const answers = await predictEach(front.http, rows, 32);
    expectAnswersEqual(answers, reference);

    const workerMetrics = await Promise.all(workers.map((w) => w.metrics()));
    const predicted = workerMetrics.map((text) => metricSum(text, 'gateway_rows_total', ['source="kafka"']));
    expect(predicted.every((n) => n > 0), `rows per worker instance: ${predicted.join(', ')}`).toBe(true);
    expect(predicted.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(ROWS);
    // Single-row requests, yet batched on the far side: fewer batches than rows.
    const batches = workerMetrics.reduce((n, text) => n + metricSum(text, 'gateway_batch_rows_count'), 0);
    const batchedRows = workerMetrics.reduce((n, text) => n + metricSum(text, 'gateway_batch_rows_sum'), 0);
    expect(batchedRows / batches, `${batchedRows} rows in ${batches} batches`).toBeGreaterThan(1.5);

    const frontMetrics = await front.metrics();
    expect(metricSum(frontMetrics, 'gateway_forward_replies_total', ['outcome="matched"'])).toBeGreaterThanOrEqual(ROWS);
    expect(metricSum(frontMetrics, 'gateway_request_duration_seconds_count', ['source="http"', 'code="ok"'])).toBeGreaterThanOrEqual(ROWS);
    expect(metricSum(frontMetrics, 'gateway_forward_round_trip_seconds_count')).toBeGreaterThanOrEqual(ROWS);
    expect(frontMetrics).toMatch(/^gateway_forward_in_flight_rows 0$/m);
  }, 180_000);

  it('carries x-request-id to the worker instance that predicts the row, into its log line', async () => {
    const requestId = `scale-out-${randomUUID()}`;
    const answer = await predictOne(front.http, rows[0]!, { 'x-request-id': requestId });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(reference[0]);
    await until(() => workers.some((w) => w.child.lines.some((line) => line.requestId === requestId)), 10_000, () => 'no worker instance logged the request id');
    const line = workers.flatMap((w) => w.child.lines).find((l) => l.requestId === requestId)!;
    expect(line.msg).toBe('record answered');
  });

  it('speaks the Open Inference Protocol too: a V2 infer request through the front end gets the worker instances\' predictions', async () => {
    const few = rows.slice(0, 5);
    const body = {
      inputs: Object.keys(few[0]!).map((name) => {
        const data = few.map((row) => row[name]);
        return typeof data[0] === 'string' ? { name, datatype: 'BYTES', shape: [few.length], data } : { name, datatype: 'INT64', shape: [few.length], data };
      }),
    };
    const response = await front.http.request({ method: 'POST', path: '/v2/models/census-income/infer', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(response.statusCode).toBe(200);
    const { outputs } = (await response.body.json()) as { outputs: { name: string; data: unknown[] }[] };
    const column = (name: string): unknown[] | undefined => outputs.find((o) => o.name === name)?.data;
    expect(column('income')).toEqual(reference.slice(0, 5).map((r) => r.income));
    expect(column('probability')).toEqual(reference.slice(0, 5).map((r) => r.probability));
  });

  it('answers 504 at a deadline shorter than the hop; the worker instance skips the record instead of predicting it', async () => {
    // The front end first: a late reply it has counted was counted by its worker instance before it was sent.
    const counts = async (): Promise<{ expired: number; predicted: number; late: number }> => {
      const late = metricSum(await front.metrics(), 'gateway_forward_replies_total', ['outcome="late"']);
      const now = await Promise.all(workers.map((w) => w.metrics()));
      return {
        expired: now.reduce((n, text) => n + metricSum(text, 'gateway_kafka_records_total', ['outcome="expired"']), 0),
        predicted: now.reduce((n, text) => n + metricSum(text, 'gateway_rows_total', ['source="kafka"']), 0),
        late,
      };
    };
    const before = await counts();

    const requestId = `deadline-${randomUUID()}`;
    const answer = await predictOne(front.http, rows[1]!, { 'x-request-timeout': '1', 'x-request-id': requestId });
    expect(answer.status).toBe(504);
    expect((answer.body as { error: { code: string } }).error.code).toBe('GW_ERR_DEADLINE_EXCEEDED');

    let after = await counts();
    for (const deadline = Date.now() + 15_000; after.late === before.late && Date.now() < deadline; after = await counts()) await new Promise((resolve) => setTimeout(resolve, 100));
    // The worker instance's deadline answer reached the front end after its 504: counted late and dropped.
    const lines = () => JSON.stringify(workers.flatMap((w) => w.child.lines.filter((l) => l.requestId === requestId)));
    expect(after.late, lines()).toBe(before.late + 1);
    expect(after.expired, lines()).toBe(before.expired + 1);
    expect(after.predicted).toBe(before.predicted);
  });

  it('two front ends at once: each reads only its own replies; a front end killed mid-requests fails only its own callers', async () => {
    const second = await startFrontEnd(topics);
    try {
      const replyTopics = [front, second].map((f) => f.child.lines.find((line) => typeof line.replyTopic === 'string')?.replyTopic);
      expect(replyTopics[0]).not.toBe(replyTopics[1]);
      const unmatchedBefore = metricSum(await front.metrics(), 'gateway_forward_replies_total', ['outcome="unmatched"']);
      const half = rows.slice(0, 300);
      const [a, b] = await Promise.all([predictEach(front.http, half, 8), predictEach(second.http, half, 8)]);
      expectAnswersEqual(a, reference);
      expectAnswersEqual(b, reference);
      expect(metricSum(await front.metrics(), 'gateway_forward_replies_total', ['outcome="unmatched"'])).toBe(unmatchedBefore);
      const secondMetrics = await second.metrics();
      expect(metricSum(secondMetrics, 'gateway_forward_replies_total', ['outcome="unmatched"'])).toBe(0);
      expect(metricSum(secondMetrics, 'gateway_forward_replies_total', ['outcome="matched"'])).toBe(half.length);
    } finally {
      await second.stop();
    }
    // A front end killed with requests in flight: its callers get errors (the connection drops); the other front end and the workers go on.
    const doomed = await startFrontEnd(topics);
    expect((await predictOne(doomed.http, rows[0]!)).status).toBe(200);
    const inFlight = predictEach(doomed.http, rows.slice(0, 400), 32).then(
      () => 'all answered',
      (error: unknown) => (error as Error).name,
    );
    await doomed.stop('SIGKILL');
    expect(await inFlight).not.toBe('all answered');
    const after = await predictEach(front.http, rows.slice(0, 50), 8);
    expectAnswersEqual(after, reference);

    // Its generated reply topic goes with it.
    const admin = new Admin({ ...TEST_CLIENT_OPTIONS, clientId: 'test-admin', bootstrapBrokers: [kafkaBrokers()] });
    try {
      const secondTopic = second.child.lines.find((line) => typeof line.replyTopic === 'string')?.replyTopic as string;
      expect(await admin.listTopics()).not.toContain(secondTopic);
    } finally {
      await admin.close();
    }
  }, 120_000);

  it('a front end whose consumer group has no worker instance is not ready and refuses at once', async () => {
    const lonely = await startFrontEnd({ ...topics, group: `${topics.group}.nobody` });
    try {
      const ready = await lonely.http.request({ method: 'GET', path: '/health/ready' });
      expect(ready.statusCode).toBe(503);
      expect(((await ready.body.json()) as { reason: string }).reason).toMatch(/no worker instance/);
      const refused = await predictOne(lonely.http, rows[0]!);
      expect(refused.status).toBe(503);
      expect((refused.body as { error: { code: string } }).error.code).toBe('GW_ERR_NOT_READY');
    } finally {
      await lonely.stop();
    }
  });

  it('SIGKILL of a worker instance in the middle of a 20 s load: no request fails, p99 within the session timeout', async () => {
    const answers: { answer: Answer; row: number }[] = [];
    const end = Date.now() + 20_000;
    let next = 0;
    const load = Promise.all(
      Array.from({ length: 16 }, async () => {
        while (Date.now() < end) {
          const row = next++ % ROWS;
          answers.push({ answer: await predictOne(front.http, rows[row]!), row });
        }
      }),
    );
    await until(() => Date.now() > end - 15_000, 10_000, () => 'load did not start');
    await workers[0]!.stop('SIGKILL');
    await load;

    expect(answers.length).toBeGreaterThan(100);
    expectAnswersEqual(
      answers.map((a) => a.answer),
      reference,
      (i) => answers[i]!.row,
    );
    const p99 = percentile(
      answers.map((a) => a.answer.ms),
      99,
    );
    // The killed member holds its partitions until its session times out; rows sent there are retried elsewhere after RETRY_MS.
    expect(p99, `p99 ${Math.round(p99)} ms`).toBeLessThan(SESSION_TIMEOUT_MS);
    // The survivor took over the killed instance's partitions.
    await until(() => lastPartitions(workers[1]!).length === PARTITIONS, 30_000, () => `survivor holds ${lastPartitions(workers[1]!).join(',')}`);
  }, 120_000);

  // Restarts the suite's own broker (same port, same data): not against a cluster given in KAFKA_BROKERS.
  it.skipIf(Boolean(process.env.KAFKA_BROKERS))('broker restart: the front end and the worker instance are not ready while it is down (the worker instance the whole time), then recover by themselves', async () => {
    const survivor = workers[1]!;
    // A poll that meets a socket error (a kept-alive connection the server closed meanwhile) reads as not ready (0).
    const ready = async (of: Instance = front): Promise<number> => {
      try {
        const response = await of.http.request({ method: 'GET', path: '/health/ready' });
        await response.body.text();
        return response.statusCode;
      } catch {
        return 0;
      }
    };
    const waitFor = async (status: number, timeoutMs: number, of: Instance = front): Promise<void> => {
      for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 200))) if ((await ready(of)) === status) return;
      throw new Error(`/health/ready did not answer ${status} within ${timeoutMs} ms`);
    };
    expect(await ready()).toBe(200);
    expect(await ready(survivor)).toBe(200);
    await stopBroker(TEST_BROKER_DIR, 10_000);
    try {
      await waitFor(503, 20_000);
      const refused = await predictOne(front.http, rows[0]!);
      expect(refused.status).toBe(503);
      expect((refused.body as { error: { code: string } }).error.code).toBe('GW_ERR_NOT_READY');
      // The worker instance's consumer stream fails and is opened again every few seconds while the
      // broker is away; none of those streams consumes anything, so it must not read ready in between.
      await waitFor(503, 20_000, survivor);
      const seen: number[] = [];
      for (const until = Date.now() + 8000; Date.now() < until; await new Promise((resolve) => setTimeout(resolve, 200))) seen.push(await ready(survivor));
      expect(seen.filter((status) => status === 200), `readiness of the worker instance over 8 s without a broker: ${seen.join(' ')}`).toEqual([]);
      // A poll that failed (0) must not hide a worker instance that died.
      expect(survivor.child.process.exitCode, `the worker instance exited; its stderr: ${survivor.child.stderr.slice(-5).join(' | ')}`).toBeNull();
    } finally {
      await startBroker({ dir: TEST_BROKER_DIR, partitions: PARTITIONS });
    }
    await waitFor(200, 60_000);
    await waitFor(200, 90_000, survivor).catch((error: Error) => {
      throw new Error(`${error.message}; the worker instance exited: ${survivor.child.process.exitCode ?? 'no'}; its stderr: ${survivor.child.stderr.slice(-5).join(' | ')}`);
    });
    // The worker instance consumes again too: a request is answered end to end (retried by the front end meanwhile if need be).
    const answer = await predictOne(front.http, rows[0]!, { 'x-request-timeout': '60000' });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(reference[0]);
  }, 150_000);
});
