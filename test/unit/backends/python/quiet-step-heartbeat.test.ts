import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HEARTBEAT_MS, quietStepHeartbeat } from '../../../../src/backends/python/quiet-step-heartbeat.js';
import { createLogger } from '../../../../src/logger.js';

afterEach(() => vi.useRealTimers());

function capture(): { messages: string[]; logger: ReturnType<typeof createLogger> } {
  const messages: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      messages.push((JSON.parse(chunk.toString()) as { msg: string }).msg);
      done();
    },
  });
  return { messages, logger: createLogger('info', false, sink) };
}

describe('quietStepHeartbeat', () => {
  it('says a silent step is still running every 10 s, not while it prints, and stops with it', () => {
    vi.useFakeTimers();
    const { messages, logger } = capture();
    const beat = quietStepHeartbeat(logger, 'install the Python requirements');
    vi.advanceTimersByTime(HEARTBEAT_MS);
    expect(messages).toEqual(['still running: install the Python requirements (10 s so far)']);
    // Output keeps it quiet.
    for (let i = 0; i < 6; i++) {
      vi.advanceTimersByTime(HEARTBEAT_MS / 2);
      beat.output();
    }
    expect(messages).toHaveLength(1);
    vi.advanceTimersByTime(HEARTBEAT_MS);
    expect(messages).toEqual(['still running: install the Python requirements (10 s so far)', 'still running: install the Python requirements (50 s so far)']);
    beat.stop();
    vi.advanceTimersByTime(HEARTBEAT_MS * 5);
    expect(messages).toHaveLength(2);
  });
});
