import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Result } from '../../src/model/row-schema.js';
import type { KafkaFrontDoor } from '../../src/kafka/kafka-front-door.js';
import { readAdult } from '../helpers/adult.js';
import { readDigits } from '../helpers/digits.js';
import { get, post, startTestGateway, TOY_MODEL_DIR, type TestGateway } from '../helpers/gateway.js';
import { CENSUS_MODEL_DIR, DIGITS_MODEL_DIR } from '../helpers/paths.js';
import { TestRepository } from '../helpers/repository.js';
import { countByKey, createTopics, headerOf, kafkaBrokers, produce, rowRecord, testTopics, TopicReader, until, type Record_ } from '../helpers/kafka.js';

const ROWS = 10_000;
const adult = readAdult().slice(0, ROWS).map((r) => r.row);

/** The gateway's own HTTP answers for `rows`, in order: what every Kafka result must equal. */
async function httpPredictions(gateway: TestGateway, rows: readonly Record<string, unknown>[]): Promise<Result[]> {
  const out: Result[] = [];
  for (let i = 0; i < rows.length; i += 2000) {
    const response = await post(gateway.http, '/predict', { instances: rows.slice(i, i + 2000) });
    expect(response.status).toBe(200);
    out.push(...(response.body as { predictions: Result[] }).predictions);
  }
  return out;
}

/**
 * The census manifest's 100 ms latency objective makes the engine refuse and
 * shrink batches when its learned cost model says so; these tests are about
 * the Kafka front door, so they lift it (the submitter's handling of such
 * refusals is covered by the backpressure test and the unit tests).
 */
const NO_SLO = { latencySloMs: 3_600_000 };

function metricValue(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.split(',').every((label) => l.includes(label)));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('Kafka front door (at-least-once, in process)', () => {
  const topics = testTopics('rows');
  let gateway: TestGateway;
  let output: TopicReader;
  let dlq: TopicReader;

  beforeAll(async () => {
    await createTopics([topics.input, topics.output, topics.dlq]);
    gateway = await startTestGateway({ ...NO_SLO, kafkaBrokers: kafkaBrokers(), kafkaInputTopic: topics.input, kafkaOutputTopic: topics.output, kafkaDlqTopic: topics.dlq, kafkaGroupId: topics.group });
    output = new TopicReader(topics.output);
    dlq = new TopicReader(topics.dlq);
  });

  afterAll(async () => {
    await output?.close();
    await dlq?.close();
    await gateway?.close();
  });

  it(`answers ${ROWS} rows of adult.test with one result each, equal to the HTTP prediction, in input order per partition`, async () => {
    await produce(adult.map((row, i) => rowRecord(topics.input, `row-${i}`, row, { seq: String(i) })));
    const records = await output.waitFor(ROWS, 120_000);

    const counts = countByKey(records);
    expect(counts.size).toBe(ROWS);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);

    const expected = await httpPredictions(gateway, adult);
    let mismatches = 0;
    for (const record of records) {
      const i = Number(record.key.toString().slice('row-'.length));
      if (JSON.stringify(JSON.parse(record.value.toString())) !== JSON.stringify(expected[i])) mismatches++;
    }
    expect(mismatches).toBe(0);

    // Keys hash to the same partition number in both topics (same count, same
    // partitioner), so each output partition holds one input partition's
    // answers: their sequence numbers must rise.
    const byPartition = new Map<number, number[]>();
    for (const record of records) {
      const seq = Number(headerOf(record, 'seq'));
      byPartition.set(record.partition, [...(byPartition.get(record.partition) ?? []), seq]);
    }
    expect(byPartition.size).toBeGreaterThan(1);
    for (const seqs of byPartition.values()) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(dlq.records).toHaveLength(0);

    const metrics = (await get(gateway.http, '/metrics')).text;
    expect(metricValue(metrics, 'gateway_rows_total', 'source="kafka"')).toBe(ROWS);
    expect(metricValue(metrics, 'gateway_kafka_records_total', 'outcome="ok"')).toBe(ROWS);
  });

  it('dead-letters malformed and invalid records with the reason and the original payload, answering the valid ones around them', async () => {
    const row = adult[0]!;
    const replyTopic = `${topics.input}.replies`;
    await produce([
      rowRecord(topics.input, 'ok-1', row),
      rowRecord(topics.input, 'bad-json', '{"age": 25,'),
      rowRecord(topics.input, 'bad-row', { ...row, age: -3 }),
      rowRecord(topics.input, 'unknown-field', { ...row, 'education_num': 9 }),
      { topic: topics.input, key: Buffer.from('empty'), headers: new Map() },
      rowRecord(topics.input, 'ok-2', adult[1]!),
      { ...rowRecord(topics.input, 'unused', adult[2]!, { 'correlation-id': 'corr-7', 'reply-to': replyTopic }), key: undefined },
    ], 1);
    const replies = new TopicReader(replyTopic);
    try {
      const letters = await dlq.waitFor(4);
      const byKey = new Map(letters.map((r) => [r.key.toString(), r]));
      expect(headerOf(byKey.get('bad-json')!, 'error-code')).toBe('GW_ERR_INVALID_JSON');
      expect(byKey.get('bad-json')!.value.toString()).toBe('{"age": 25,');
      expect(headerOf(byKey.get('bad-row')!, 'error-code')).toBe('GW_ERR_VALIDATION');
      expect(headerOf(byKey.get('bad-row')!, 'error-message')).toBe('age: must be >= 0');
      expect(JSON.parse(byKey.get('bad-row')!.value.toString())).toEqual({ ...row, age: -3 });
      expect(headerOf(byKey.get('unknown-field')!, 'error-message')).toBe('education_num: is not a known field');
      expect(headerOf(byKey.get('empty')!, 'error-code')).toBe('GW_ERR_EMPTY_RECORD');
      expect(headerOf(byKey.get('bad-row')!, 'source-topic')).toBe(topics.input);

      await until(() => output.records.some((r) => r.key.toString() === 'ok-2'), 30_000, () => 'ok-2 answered');
      const [expected1, expected2, expected3] = await httpPredictions(gateway, [row, adult[1]!, adult[2]!]);
      const answer = (key: string): Record_ | undefined => output.records.find((r) => r.key.toString() === key);
      expect(JSON.parse(answer('ok-1')!.value.toString())).toEqual(expected1);
      expect(JSON.parse(answer('ok-2')!.value.toString())).toEqual(expected2);

      // No key: the correlation-id header becomes the answer's key; reply-to picks the topic.
      const [reply] = await replies.waitFor(1);
      expect(reply!.key.toString()).toBe('corr-7');
      expect(headerOf(reply!, 'correlation-id')).toBe('corr-7');
      expect(JSON.parse(reply!.value.toString())).toEqual(expected3);
      expect(dlq.records).toHaveLength(4);
    } finally {
      await replies.close();
    }
  });
});

describe('Kafka front door backpressure', () => {
  it('pauses when the engine queue is full and resumes, dropping nothing and holding at most --kafka-max-in-flight records', async () => {
    const topics = testTopics('backpressure');
    await createTopics([topics.input, topics.output, topics.dlq]);
    const maxInFlight = 200;
    const gateway = await startTestGateway({
      ...NO_SLO,
      kafkaBrokers: kafkaBrokers(),
      kafkaInputTopic: topics.input,
      kafkaOutputTopic: topics.output,
      kafkaDlqTopic: topics.dlq,
      kafkaGroupId: topics.group,
      kafkaMaxInFlight: maxInFlight,
      maxQueueRows: 32,
      maxRequestRows: 32,
      maxBatchRows: 16,
    });
    const output = new TopicReader(topics.output);
    const rows = adult.slice(0, 3000);
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, (gateway.gateway.frontDoors.find((door) => door.name === 'kafka') as KafkaFrontDoor | undefined)?.inFlight ?? 0);
    }, 1);
    try {
      await produce(rows.map((row, i) => rowRecord(topics.input, `bp-${i}`, row)));
      const records = await output.waitFor(rows.length, 120_000);
      expect(countByKey(records).size).toBe(rows.length);
      const metrics = (await get(gateway.http, '/metrics')).text;
      // The engine did refuse (queue full), and the refused records were submitted again, not dead-lettered.
      expect(metricValue(metrics, 'gateway_shed_requests_total', 'reason="GW_ERR_QUEUE_FULL"')).toBeGreaterThan(0);
      expect(metricValue(metrics, 'gateway_kafka_records_total', 'outcome="dead_letter"')).toBe(0);
      expect(peak).toBeGreaterThan(0);
      expect(peak).toBeLessThanOrEqual(maxInFlight);
    } finally {
      clearInterval(sampler);
      await output.close();
      await gateway.close();
    }
  });
});

describe('Kafka front door and model errors', () => {
  it('dead-letters only the row the model fails on; the rows batched with it are answered', async () => {
    const topics = testTopics('model-error');
    await createTopics([topics.input, topics.output, topics.dlq], 1);
    const gateway = await startTestGateway({ model: TOY_MODEL_DIR, ...NO_SLO, kafkaBrokers: kafkaBrokers(), kafkaInputTopic: topics.input, kafkaOutputTopic: topics.output, kafkaDlqTopic: topics.dlq, kafkaGroupId: topics.group });
    const output = new TopicReader(topics.output);
    const dlq = new TopicReader(topics.dlq);
    try {
      const records = Array.from({ length: 40 }, (_, i) => rowRecord(topics.input, `t-${i}`, i === 17 ? { x: i, mode: 'boom' } : { x: i }));
      await produce(records, 40);
      const [letter] = await dlq.waitFor(1);
      expect(letter!.key.toString()).toBe('t-17');
      expect(headerOf(letter!, 'error-code')).toBe('GW_ERR_MODEL');
      expect(headerOf(letter!, 'error-message')).toContain('row asked to explode');
      const results = await output.waitFor(39);
      expect(results.map((r) => r.key.toString())).toEqual(records.map((r) => r.key!.toString()).filter((k) => k !== 't-17'));
      for (const result of results) expect((JSON.parse(result.value.toString()) as { y: number }).y).toBe(2 * Number(result.key.toString().slice(2)));
    } finally {
      await output.close();
      await dlq.close();
      await gateway.close();
    }
  });
});

describe('Kafka front door over a model repository', () => {
  it('sends each record to the model its `model` header names (the default model without one), and dead-letters an unknown name with GW_ERR_MODEL_NOT_FOUND', async () => {
    const topics = testTopics('models');
    await createTopics([topics.input, topics.output, topics.dlq], 1);
    const repository = new TestRepository({ 'census-income': { from: CENSUS_MODEL_DIR, copy: false }, digits: { from: DIGITS_MODEL_DIR, copy: false } });
    const gateway = await startTestGateway({ modelRepository: repository.root, workers: 1, ...NO_SLO, kafkaBrokers: kafkaBrokers(), kafkaInputTopic: topics.input, kafkaOutputTopic: topics.output, kafkaDlqTopic: topics.dlq, kafkaGroupId: topics.group });
    const output = new TopicReader(topics.output);
    const dlq = new TopicReader(topics.dlq);
    try {
      const images = readDigits(20);
      const [censusExpected, digitsExpected] = await Promise.all([
        httpPredictions(gateway, adult.slice(0, 20)),
        post(gateway.http, '/models/digits/predict', { instances: images.map((d) => d.row) }).then((r) => (r.body as { predictions: Result[] }).predictions),
      ]);
      const records = [
        ...adult.slice(0, 20).map((row, i) => rowRecord(topics.input, `census-${i}`, row)),
        ...images.map((d, i) => rowRecord(topics.input, `digits-${i}`, d.row, { model: 'digits' })),
        rowRecord(topics.input, 'unknown', { x: 1 }, { model: 'nope' }),
        rowRecord(topics.input, 'mismatch', adult[0]!, { model: 'digits' }),
      ];
      await produce(records, 100);
      const results = await output.waitFor(40);
      const byKey = new Map(results.map((r) => [r.key.toString(), JSON.parse(r.value.toString()) as Result]));
      expect(adult.slice(0, 20).map((_, i) => byKey.get(`census-${i}`))).toEqual(censusExpected);
      // Same digits as over HTTP; probabilities up to float rounding (a matrix product depends on the batch it ran in).
      expect(images.map((_, i) => byKey.get(`digits-${i}`)?.digit)).toEqual(digitsExpected.map((p) => p.digit));
      const letters = await dlq.waitFor(2);
      const codes = Object.fromEntries(letters.map((l) => [l.key.toString(), headerOf(l, 'error-code')]));
      expect(codes).toEqual({ unknown: 'GW_ERR_MODEL_NOT_FOUND', mismatch: 'GW_ERR_VALIDATION' });
      expect(headerOf(letters.find((l) => l.key.toString() === 'unknown')!, 'error-message')).toMatch(/model "nope" is not loaded/);
      const metrics = (await get(gateway.http, '/metrics')).text;
      expect(metricValue(metrics, 'gateway_kafka_records_total', 'model="digits",outcome="ok"')).toBe(20);
      expect(metricValue(metrics, 'gateway_kafka_records_total', 'model="unknown",outcome="dead_letter"')).toBe(1);
    } finally {
      await output.close();
      await dlq.close();
      await gateway.close();
      repository.remove();
    }
  });
});
