import { randomInt } from 'node:crypto';

/**
 * Chooses the input partition of each forwarded row: round-robin, skipping
 * partitions a row had to be retried from (their owner may be dead and
 * keeps them until its session times out) for `avoidMs`. A partition that
 * answers is trusted again at once.
 */
export class PartitionPicker {
  readonly #avoidMs: number;
  readonly #now: () => number;
  #count = 1;
  #next = 0;
  /** Avoided partitions, until when. */
  readonly #avoided = new Map<number, number>();

  constructor(options: { readonly avoidMs: number; readonly now?: () => number }) {
    this.#avoidMs = options.avoidMs;
    this.#now = options.now ?? Date.now;
  }

  /** The input topic's partition count (learned from the broker's metadata). */
  set count(count: number) {
    this.#count = Math.max(1, count);
  }

  get count(): number {
    return this.#count;
  }

  /** The partition for a row's first send. */
  first(): number {
    return this.#pick(undefined);
  }

  /** The partition for a row sent again because no reply came from `from`: another one, and `from` is avoided for a while. */
  retry(from: number): number {
    this.#avoided.set(from, this.#now() + this.#avoidMs);
    return this.#pick(from);
  }

  /** A reply came for a row sent to `partition`: its owner answers. */
  answered(partition: number): void {
    this.#avoided.delete(partition);
  }

  /** Round-robin over the partitions not avoided (nor `not`); when every other one is avoided, any other at random. */
  #pick(not: number | undefined): number {
    const count = this.#count;
    const now = this.#now();
    for (let tried = 0; tried < count; tried++) {
      const partition = this.#next++ % count;
      if (partition === not) continue;
      const until = this.#avoided.get(partition);
      if (until === undefined) return partition;
      if (until <= now) {
        this.#avoided.delete(partition);
        return partition;
      }
    }
    if (not === undefined || count === 1) return this.#next++ % count;
    return (not + 1 + randomInt(count - 1)) % count;
  }
}
