import { describe, expect, it } from 'vitest';
import { DeadlineExceededError, ForwardedError, ModelError, QueueFullError, ValidationError } from '../../../src/errors.js';
import { forwardRecord, readReply } from '../../../src/forward/forward-codec.js';
import { deadLetterRecord, deadlineOf, requestIdOf, resultRecord, type InputRecord } from '../../../src/kafka/record-codec.js';

const request = { row: { age: 3 }, model: 'census-income', correlationId: 'fe1-7', replyTo: 'in.replies.host.ab12', deadline: 1_700_000_000_123, timeoutMs: 250, requestId: 'req-1' };

/** The forwarded record as the worker instance's Kafka front door consumes it. */
function consumed(): InputRecord {
  const record = forwardRecord('in', 3, request);
  return { key: undefined, value: record.value as Buffer, headers: record.headers as Map<Buffer, Buffer>, topic: 'in', partition: 3, offset: 9n };
}

describe('the forwarding record contract, both ways', () => {
  it('a forwarded row carries its model, correlation id, reply topic, deadline and request id; no key (the front end picks the partition)', () => {
    const record = forwardRecord('in', 3, request);
    expect(record.key).toBeUndefined();
    expect(record.partition).toBe(3);
    expect(JSON.parse(String(record.value))).toEqual({ age: 3 });
    const input = consumed();
    expect(deadlineOf(input)).toBe(request.deadline);
    expect(requestIdOf(input)).toBe('req-1');
  });

  it("the worker's result goes to the reply topic and reads back as the result, matched by the correlation id", () => {
    const reply = resultRecord(consumed(), { income: '<=50K', probability: 0.9 }, 'out');
    expect(reply.topic).toBe(request.replyTo);
    const read = readReply({ key: reply.key, value: reply.value as Buffer, headers: reply.headers as Map<Buffer, Buffer> });
    expect(read).toEqual({ correlationId: 'fe1-7', outcome: { income: '<=50K', probability: 0.9 } });
  });

  it("the worker's failure goes to the reply topic too (reply-errors), and reads back as the same typed error", () => {
    const cases = [
      { error: new ModelError('HANDLER_ERROR', 'boom', { row: 0 }), check: (e: unknown) => expect(e).toBeInstanceOf(ModelError) },
      { error: new DeadlineExceededError(250), check: (e: unknown) => expect((e as DeadlineExceededError).timeoutMs).toBe(250) },
      { error: new ValidationError([{ field: 'age', reason: 'must be >= 0' }]), check: (e: unknown) => expect((e as ValidationError).issues).toEqual([{ field: 'age', reason: 'must be >= 0' }]) },
      { error: new QueueFullError(5, 5), check: (e: unknown) => expect(e).toBeInstanceOf(ForwardedError) },
    ];
    for (const { error, check } of cases) {
      const dead = deadLetterRecord(consumed(), error, 'in.dlq');
      expect(dead.topic).toBe(request.replyTo);
      const read = readReply({ key: dead.key, value: dead.value as Buffer, headers: dead.headers as Map<Buffer, Buffer> });
      expect(read.correlationId).toBe('fe1-7');
      expect((read.outcome as { code: string }).code).toBe(error.code);
      expect((read.outcome as Error).message).toBe(error.message);
      check(read.outcome);
    }
    // A shedding code keeps its Retry-After.
    const shed = readReply(deadLetterRecord(consumed(), new QueueFullError(5, 5), 'in.dlq') as never);
    expect((shed.outcome as ForwardedError).retryAfterSeconds).toBe(1);
  });

  it('a record without reply-errors is still dead-lettered to the dead-letter topic', () => {
    const input = consumed();
    const headers = new Map([...input.headers].filter(([k]) => k.toString() !== 'reply-errors'));
    expect(deadLetterRecord({ ...input, headers }, new DeadlineExceededError(1), 'in.dlq').topic).toBe('in.dlq');
  });
});
