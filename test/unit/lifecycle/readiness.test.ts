import { describe, expect, it } from 'vitest';
import type { FrontDoor, FrontDoorHealth } from '../../../src/lifecycle/front-door.js';
import { readiness } from '../../../src/lifecycle/readiness.js';
import type { ModelReadiness } from '../../../src/registry/served-model.js';

const door = (name: string, health: FrontDoorHealth): FrontDoor => ({ name, health: () => health, start: async () => {}, drain: async () => {}, close: async () => {} });
const model = (ready: boolean, reason?: string): ModelReadiness => ({ ready, version: '1', workersReady: ready ? 1 : 0, workers: 1, ...(reason ? { reason } : {}) });

describe('readiness', () => {
  const registry = (models: Record<string, ModelReadiness>) => ({ readiness: () => models });

  it('is ready when every model and front door is', () => {
    const state = readiness({ registry: registry({ a: model(true), b: model(true) }), frontDoors: () => [door('http', { ready: true })], draining: () => false });
    expect(state).toEqual({ ready: true, models: { a: model(true), b: model(true) }, frontDoors: { http: { ready: true } } });
  });

  it('is not ready, naming the model, when one model has no ready worker (the others still listed ready)', () => {
    const state = readiness({ registry: registry({ a: model(true), b: model(false, 'load refused') }), frontDoors: () => [], draining: () => false });
    expect(state).toMatchObject({ ready: false, reason: 'b: load refused', models: { a: { ready: true } } });
  });

  it('is not ready when the Kafka consumer stream died', () => {
    const state = readiness({
      registry: registry({ a: model(true) }),
      frontDoors: () => [door('http', { ready: true }), door('kafka', { ready: false, reason: 'the consumer stream failed: boom' })],
      draining: () => false,
    });
    expect(state).toMatchObject({ ready: false, reason: 'kafka: the consumer stream failed: boom', frontDoors: { kafka: { ready: false } } });
  });

  it('is not ready while shutting down, nor with no model loaded', () => {
    expect(readiness({ registry: registry({ a: model(true) }), frontDoors: () => [], draining: () => true })).toMatchObject({ ready: false, reason: 'shutting down' });
    expect(readiness({ registry: registry({}), frontDoors: () => [], draining: () => false })).toMatchObject({ ready: false, reason: 'no model is loaded' });
  });
});
