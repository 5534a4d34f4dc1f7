import os from 'node:os';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import { GatewayError, ModelError, ProtocolError, WorkerExitedError, WorkerStartError } from '../../errors.js';
import type { Result, Row } from '../../model/row-schema.js';
import { FrameReader } from '../../protocol/frame-reader.js';
import { TracebackLines } from './traceback-lines.js';
import { asError, asReady, decodePayload, encodeFrame, FrameKind, PROTOCOL_VERSION, type ReadyMessage } from '../../protocol/messages.js';
import { widenIntegers } from '../../protocol/wide-integers.js';

export interface PythonWorkerOptions {
  /** Slot in the pool; stays the same across restarts of that slot. */
  readonly slot: number;
  /** The model virtualenv's Python. */
  readonly python: string;
  readonly modelDir: string;
  /** Folder holding the `gateway_worker` package. */
  readonly pythonPath: string;
  /** A worker not ready this long after spawning is killed and reported as a start failure. */
  readonly startTimeoutMs: number;
  /** The model version it serves (from model.json), reported with each prediction. */
  readonly version: string;
  /** Added to the gateway's nice value for this process (0: the same priority). */
  readonly nice?: number;
  readonly logger: Logger;
}

export type WorkerState = 'starting' | 'ready' | 'stopping' | 'exited';

export interface WorkerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Batches it was running when it died (they were failed with a worker-exited error). */
  readonly batchesLost: number;
}

interface InFlightBatch {
  readonly resolve: (results: Result[]) => void;
  readonly reject: (error: GatewayError) => void;
}

const STDERR_TAIL_LINES = 20;

// N workers each starting a thread per core for BLAS/OpenMP would oversubscribe
// the cores the pool already shares out (Ray Serve sets the same default).
// A user's own setting in the environment wins.
const SINGLE_THREADED_MATH = { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
const MAX_BATCH_ID = 0xffff_ffff;

/**
 * One Python worker process and the batches it is running. Requests go out on
 * fd 3 and answers come back on fd 4, so the model's own prints (fd 1, 2) never
 * touch the protocol; they are forwarded to the log.
 */
export class PythonWorker {
  readonly slot: number;
  readonly version: string;
  /** Resolves once the handler is loaded; rejects with {@link WorkerStartError} otherwise. */
  readonly started: Promise<ReadyMessage>;
  /** Resolves when the process has exited, for whatever reason. */
  readonly exited: Promise<WorkerExit>;

  #child: ChildProcess;
  #requests: Writable;
  #reader = new FrameReader();
  #inFlight = new Map<number, InFlightBatch>();
  #nextId = 1;
  #state: WorkerState = 'starting';
  #stderrTail: string[] = [];
  #loadFailure: string | undefined;
  #logger: Logger;
  #readyAt = 0;

  constructor(options: PythonWorkerOptions) {
    this.slot = options.slot;
    this.version = options.version;
    this.#logger = options.logger;
    this.#child = spawn(options.python, ['-u', '-m', 'gateway_worker', '--model-dir', options.modelDir], {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
      env: { ...SINGLE_THREADED_MATH, ...process.env, PYTHONPATH: joinPythonPath(options.pythonPath, process.env.PYTHONPATH) },
    });
    // Lower priority for the model, so that on a saturated machine the
    // gateway's event loop still gets the CPU to answer and to refuse.
    if ((options.nice ?? 0) > 0 && this.#child.pid !== undefined) {
      try {
        os.setPriority(this.#child.pid, Math.min(19, os.getPriority() + options.nice!));
      } catch (error) {
        this.#logger.warn({ err: error, nice: options.nice }, 'could not lower the worker\'s CPU priority');
      }
    }
    this.#requests = this.#child.stdio[3] as Writable;
    const responses = this.#child.stdio[4] as Readable;

    let onReady!: (message: ReadyMessage) => void;
    let onStartFailure!: (error: WorkerStartError) => void;
    this.started = new Promise((resolve, reject) => {
      onReady = resolve;
      onStartFailure = reject;
    });
    // A start failure that nobody awaits (e.g. a restart) must not crash the process.
    this.started.catch(() => undefined);

    // A load() that never returns would otherwise hold start-up (or a slot) forever.
    const startTimer = setTimeout(() => {
      if (this.#state !== 'starting') return;
      this.#loadFailure = `did not report ready within ${options.startTimeoutMs} ms (is the model's load() stuck?)`;
      this.kill();
    }, options.startTimeoutMs);
    startTimer.unref();
    this.started.finally(() => clearTimeout(startTimer)).catch(() => undefined);

    this.exited = new Promise((resolve) => {
      let spawnError: Error | undefined;
      this.#child.once('error', (error) => {
        spawnError = error;
      });
      this.#child.once('close', (code, signal) => {
        const wasReady = this.#state !== 'starting';
        this.#state = 'exited';
        const how = signal ? `signal ${signal}` : `code ${code}`;
        if (!wasReady) {
          const reason = this.#loadFailure ?? spawnError?.message ?? `exited with ${how} before it was ready${this.#tail()}`;
          const killedFromOutside = signal !== null && this.#loadFailure === undefined && spawnError === undefined;
          onStartFailure(new WorkerStartError(`worker ${this.slot} failed to start: ${reason}`, { killedFromOutside }));
        }
        const batchesLost = this.#inFlight.size;
        this.#failInFlight(new WorkerExitedError(`worker ${this.slot} (pid ${this.pid}) exited with ${how} while running this batch`));
        resolve({ code, signal, batchesLost });
      });
    });

    responses.on('data', (chunk: Buffer) => this.#onBytes(chunk, onReady));
    // EPIPE when the child died mid-write: the 'close' handler reports it.
    this.#requests.on('error', () => undefined);
    this.#forwardLines(this.#child.stdout!, 'info');
    this.#forwardLines(this.#child.stderr!, 'warn');
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get state(): WorkerState {
    return this.#state;
  }

  /** Batches sent and not yet answered. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Milliseconds since the worker became ready (0 if never). */
  uptimeMs(now = performance.now()): number {
    return this.#readyAt === 0 ? 0 : now - this.#readyAt;
  }

  /** Sends one batch; resolves with one result per row, in order. */
  run(rows: readonly Row[]): Promise<Result[]> {
    if (this.#state !== 'ready') {
      return Promise.reject(new WorkerExitedError(`worker ${this.slot} is ${this.#state}`));
    }
    const id = this.#nextId;
    this.#nextId = id === MAX_BATCH_ID ? 1 : id + 1;
    return new Promise((resolve, reject) => {
      this.#inFlight.set(id, { resolve, reject });
      const [header, body] = encodeFrame(FrameKind.PREDICT, id, widenIntegers(rows));
      this.#requests.cork();
      this.#requests.write(header);
      this.#requests.write(body);
      this.#requests.uncork();
    });
  }

  /** Closes the request pipe (the worker exits after its current batch); kills it after `graceMs`. */
  async stop(graceMs: number): Promise<WorkerExit> {
    if (this.#state === 'exited') return this.exited;
    this.#state = 'stopping';
    this.#requests.end();
    const timer = setTimeout(() => this.kill(), graceMs);
    timer.unref();
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.#state !== 'exited') this.#child.kill(signal);
  }

  #onBytes(chunk: Buffer, onReady: (message: ReadyMessage) => void): void {
    let frames;
    try {
      frames = this.#reader.push(chunk);
    } catch (error) {
      this.#logger.error({ err: error }, 'protocol violation from worker; replacing it');
      this.kill();
      return;
    }
    for (const frame of frames) {
      try {
        this.#onFrame(frame.kind, frame.id, decodePayload(frame), onReady);
      } catch (error) {
        const reason = error instanceof ProtocolError ? error : new ProtocolError('bad frame', { cause: error });
        this.#logger.error({ err: reason }, 'protocol violation from worker; replacing it');
        this.#inFlight.get(frame.id)?.reject(reason);
        this.#inFlight.delete(frame.id);
        this.kill();
        return;
      }
    }
  }

  #onFrame(kind: number, id: number, payload: unknown, onReady: (message: ReadyMessage) => void): void {
    if (kind === FrameKind.READY) {
      const ready = asReady(payload);
      if (ready.protocol !== PROTOCOL_VERSION) {
        // A gateway_worker from another release would misread every frame after this one.
        this.#loadFailure = `its gateway_worker speaks protocol ${ready.protocol}, this gateway ${PROTOCOL_VERSION} (is PYTHONPATH pointing at another copy?)`;
        this.kill();
        return;
      }
      this.#state = 'ready';
      this.#readyAt = performance.now();
      // model and version are in this logger's bindings already; pid would repeat the gateway's own.
      this.#logger.debug({ workerPid: ready.pid }, 'worker ready');
      onReady(ready);
      return;
    }
    if (kind === FrameKind.ERROR && id === 0) {
      const error = asError(payload);
      this.#loadFailure = `${error.code}: ${error.message}`;
      return;
    }
    const batch = this.#inFlight.get(id);
    if (!batch) throw new ProtocolError(`answer for unknown batch ${id}`);
    this.#inFlight.delete(id);
    if (kind === FrameKind.RESULT) {
      // The engine checks that the answer holds one result per row, for every backend.
      batch.resolve(payload as Result[]);
    } else if (kind === FrameKind.ERROR) {
      const error = asError(payload);
      batch.reject(new ModelError(error.code, error.message));
    } else {
      throw new ProtocolError(`unexpected frame kind ${kind}`);
    }
  }

  #failInFlight(error: GatewayError): void {
    const batches = [...this.#inFlight.values()];
    this.#inFlight.clear();
    for (const batch of batches) batch.reject(error);
  }

  #forwardLines(stream: Readable, level: 'info' | 'warn'): void {
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    const entries = new TracebackLines((text) => this.#logger[level]({ stream: level === 'warn' ? 'stderr' : 'stdout' }, text));
    lines.on('line', (line) => {
      if (level === 'warn') {
        this.#stderrTail.push(line);
        if (this.#stderrTail.length > STDERR_TAIL_LINES) this.#stderrTail.shift();
      }
      entries.push(line);
    });
    lines.on('close', () => entries.flush());
  }

  #tail(): string {
    return this.#stderrTail.length === 0 ? '' : `; stderr: ${this.#stderrTail.slice(-5).join(' | ')}`;
  }
}

/** `first` ahead of an existing PYTHONPATH. */
export function joinPythonPath(first: string, rest: string | undefined): string {
  return rest ? `${first}:${rest}` : first;
}
