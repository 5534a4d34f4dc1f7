import type { BatchWorker, WorkerSource } from '../../src/engine/batcher.js';
import { WorkerExitedError } from '../../src/errors.js';
import type { Result, Row } from '../../src/model/row-schema.js';

interface Running {
  readonly rows: readonly Row[];
  resolve(results: Result[]): void;
  reject(error: Error): void;
}

/** A worker whose batches finish when the test says so. */
export class FakeWorker implements BatchWorker {
  readonly batches: (readonly Row[])[] = [];
  /** When each of `batches` was sent (`performance.now()`, the fake clock under fake timers). */
  readonly startedAt: number[] = [];
  kills = 0;
  #running: Running | undefined;

  constructor(readonly version = 'test') {}

  get busy(): boolean {
    return this.#running !== undefined;
  }

  run(rows: readonly Row[]): Promise<Result[]> {
    this.batches.push(rows);
    this.startedAt.push(performance.now());
    return new Promise((resolve, reject) => {
      this.#running = { rows, resolve, reject };
    });
  }

  /** Answers the running batch with `answer(row)` for each row. */
  finish(answer: (row: Row) => Result = (row) => ({ echo: row })): void {
    const running = this.#take();
    running.resolve(running.rows.map(answer));
  }

  kill(): void {
    this.kills += 1;
    if (this.#running) this.fail(new WorkerExitedError('killed'));
  }

  fail(error: Error): void {
    this.#take().reject(error);
  }

  #take(): Running {
    const running = this.#running;
    if (!running) throw new Error('no batch is running');
    this.#running = undefined;
    return running;
  }
}

/** A pool of fake workers: `pick()` returns an idle one. */
export class FakePool implements WorkerSource {
  readonly workers: FakeWorker[];
  readyCount: number;
  lastStartError: Error | undefined;

  constructor(size: number) {
    this.workers = Array.from({ length: size }, () => new FakeWorker());
    this.readyCount = size;
  }

  pick(): BatchWorker | undefined {
    return this.workers.find((w) => !w.busy);
  }
}
