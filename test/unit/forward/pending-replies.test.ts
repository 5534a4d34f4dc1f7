import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeadlineExceededError, ModelError, QueueFullError } from '../../../src/errors.js';
import { PendingReplies } from '../../../src/forward/pending-replies.js';

describe('PendingReplies', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const make = (options: { maxPending?: number; retryMs?: number } = {}) => {
    const retries: [string, number][] = [];
    const pending = new PendingReplies({ maxPending: options.maxPending ?? 4, retryMs: options.retryMs ?? 1000, onRetry: (id, attempt) => retries.push([id, attempt]) });
    return { pending, retries };
  };

  it('resolves each row with its own reply, matched by correlation id, in any order', async () => {
    const { pending } = make();
    const a = pending.await('a', 5000);
    const b = pending.await('b', 5000);
    expect(pending.settle('b', { v: 2 })).toBe('matched');
    expect(pending.settle('a', new ModelError('HANDLER_ERROR', 'boom'))).toBe('matched');
    expect(await b).toEqual({ v: 2 });
    expect(await a).toBeInstanceOf(ModelError);
    expect(pending.size).toBe(0);
  });

  it('answers GW_ERR_DEADLINE_EXCEEDED at the deadline; the reply that comes later is late, a second reply or a stranger unmatched', async () => {
    const { pending } = make();
    const a = pending.await('a', 100);
    const b = pending.await('b', 5000);
    vi.advanceTimersByTime(100);
    const outcome = await a;
    expect(outcome).toBeInstanceOf(DeadlineExceededError);
    expect((outcome as DeadlineExceededError).timeoutMs).toBe(100);
    expect(pending.settle('a', { v: 1 })).toBe('late');
    expect(pending.settle('b', { v: 2 })).toBe('matched');
    await b;
    expect(pending.settle('b', { v: 2 })).toBe('unmatched');
    expect(pending.settle('nobody', { v: 0 })).toBe('unmatched');
  });

  it('is bounded: refuses with GW_ERR_QUEUE_FULL once maxPending rows await, and admits again as they settle', () => {
    const { pending } = make({ maxPending: 2 });
    pending.admit(2);
    void pending.await('a', 5000);
    void pending.await('b', 5000);
    expect(() => pending.admit(1)).toThrow(QueueFullError);
    pending.settle('a', {});
    expect(() => pending.admit(1)).not.toThrow();
  });

  it('remembers at most maxPending expired ids', () => {
    const { pending } = make({ maxPending: 2 });
    for (const id of ['a', 'b', 'c']) void pending.await(id, 10);
    vi.advanceTimersByTime(10);
    expect(pending.settle('a', {})).toBe('unmatched');
    expect(pending.settle('c', {})).toBe('late');
  });

  it('asks for a retry every retryMs while no reply came and the deadline is not reached, and stops once settled', () => {
    const { pending, retries } = make({ retryMs: 1000 });
    void pending.await('a', 3500);
    void pending.await('b', 10_000);
    vi.advanceTimersByTime(1000);
    expect(retries).toEqual([['a', 2], ['b', 2]]);
    pending.settle('b', {});
    vi.advanceTimersByTime(5000);
    // a: retries at 1 s, 2 s and 3 s (none at or after its 3.5 s deadline); b none after its reply.
    expect(retries).toEqual([['a', 2], ['b', 2], ['a', 3], ['a', 4]]);
  });

  it('failAll settles every pending row with the error given', async () => {
    const { pending } = make();
    const a = pending.await('a', 5000);
    pending.failAll(new QueueFullError(0, 0));
    expect(await a).toBeInstanceOf(QueueFullError);
    expect(pending.size).toBe(0);
  });
});
