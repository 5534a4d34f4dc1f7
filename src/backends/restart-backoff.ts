/** Delay before restart attempt `failures` (0-based): 100 ms doubling, capped at 10 s. */
export function restartBackoffMs(failures: number, baseMs = 100, capMs = 10_000): number {
  return Math.min(capMs, baseMs * 2 ** Math.min(failures, 20));
}
