/**
 * One input partition's records between consumption and delivery, in offset
 * order. Predictions finish out of order (they ride in different batches),
 * but a lane only hands out its completed *prefix*: results are produced in
 * input order and an offset is committed only once everything before it is
 * answered.
 */
export interface LaneEntry<M, O> {
  readonly message: M;
  readonly offset: bigint;
  /** Set when the record's answer (result or dead letter) is ready. */
  output: O | undefined;
}

export class PartitionLane<M, O> {
  #entries: LaneEntry<M, O>[] = [];
  #head = 0;
  #nextOffset: bigint | undefined;
  /** Messages fetched before this generation belong to an earlier ownership of the partition. */
  #minGeneration: number;

  constructor(minGeneration = -1) {
    this.#minGeneration = minGeneration;
  }

  /** Records admitted and not yet taken for delivery. */
  get size(): number {
    return this.#entries.length - this.#head;
  }

  /**
   * Admits a message unless it is a re-delivery of one already in (or
   * through) this lane, or was fetched in an earlier generation: after a
   * rebalance the consumer fetches again from the last committed offset, and
   * those records are already on their way.
   */
  admit(message: M, offset: bigint, generation: number): LaneEntry<M, O> | undefined {
    if (generation < this.#minGeneration) return undefined;
    if (this.#nextOffset !== undefined && offset < this.#nextOffset) return undefined;
    this.#nextOffset = offset + 1n;
    const entry: LaneEntry<M, O> = { message, offset, output: undefined };
    this.#entries.push(entry);
    return entry;
  }

  /** Takes the completed prefix (at most `limit` entries), oldest first. */
  takeReady(limit = Number.POSITIVE_INFINITY): LaneEntry<M, O>[] {
    const start = this.#head;
    let end = start;
    while (end < this.#entries.length && end - start < limit && this.#entries[end]!.output !== undefined) end++;
    const taken = this.#entries.slice(start, end);
    this.#head = end;
    // Compact now and then rather than shift() per entry.
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
    return taken;
  }
}
