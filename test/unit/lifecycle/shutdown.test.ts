import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import type { FrontDoor } from '../../../src/lifecycle/front-door.js';
import { shutdown } from '../../../src/lifecycle/shutdown.js';
import { FAKE_TIMERS, flush } from '../../helpers/flush.js';

const logger = pino({ level: 'silent' });

function recorder() {
  const calls: string[] = [];
  const door = (name: string): FrontDoor => ({
    name,
    health: () => ({ ready: true }),
    start: async () => {},
    drain: async () => void calls.push(`${name}.drain`),
    close: async () => void calls.push(`${name}.close`),
  });
  return { calls, door };
}

describe('shutdown', () => {
  it('drains the front doors in order while the models serve, then drains the models, closes the doors in reverse, stops the workers', async () => {
    const { calls, door } = recorder();
    const models = { drain: async () => void calls.push('models.drain'), stop: async () => void calls.push('models.stop'), kill: () => calls.push('models.kill') };
    const finished = await shutdown({ frontDoors: [door('http'), door('kafka')], models, onDraining: () => calls.push('draining'), logger }, 1000);
    expect(finished).toBe(true);
    expect(calls).toEqual(['draining', 'http.drain', 'kafka.drain', 'models.drain', 'kafka.close', 'http.close', 'models.stop']);
  });

  it('kills the workers and resolves false when the grace period runs out', async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    try {
      const { calls, door } = recorder();
      const models = { drain: () => new Promise<void>(() => {}), stop: async () => {}, kill: () => calls.push('models.kill') };
      const result = shutdown({ frontDoors: [door('http')], models, onDraining: () => {}, logger }, 500);
      await flush();
      vi.advanceTimersByTime(500);
      expect(await result).toBe(false);
      expect(calls).toEqual(['http.drain', 'models.kill']);
    } finally {
      vi.useRealTimers();
    }
  });
});
