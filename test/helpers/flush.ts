import { setImmediate as nextMacrotask } from 'node:timers/promises';

/** Lets pending promise callbacks run (timers must not fake setImmediate). */
export async function flush(): Promise<void> {
  await nextMacrotask();
}

/** Fake only what deadlines use, so `flush()` keeps working. */
export const FAKE_TIMERS = { toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] } as const;
