import { setImmediate as nextMacrotask } from 'node:timers/promises';
import type { vi } from 'vitest';

/** Lets pending promise callbacks run (timers must not fake setImmediate). */
export async function flush(): Promise<void> {
  await nextMacrotask();
}

/** Fake only what deadlines use, so `flush()` keeps working. */
export const FAKE_TIMERS: Parameters<typeof vi.useFakeTimers>[0] = { toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] };
