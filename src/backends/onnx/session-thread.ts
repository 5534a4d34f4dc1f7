import { threadId, workerData } from 'node:worker_threads';
import type { InferenceSession } from 'onnxruntime-node';
import type { OnnxBinding } from '../../model/onnx-binding.js';
import type { Result, Row } from '../../model/row-schema.js';
import { decodeOutputs, encodeInputs, type TensorData } from './row-tensors.js';

/** What each worker thread is started with (its `workerData`). */
export interface SessionThreadData {
  readonly modelPath: string;
  readonly binding: OnnxBinding;
  readonly intraOpThreads: number;
}

/** A task: report the loaded session, or predict a batch. */
export type SessionTask = { readonly kind: 'hello' } | { readonly kind: 'run'; readonly rows: readonly Row[] };

/** The answer to `hello`: the thread is ready, and what its session cost. */
export interface SessionHello {
  readonly threadId: number;
  readonly loadMs: number;
  /** Resident memory the process grew by while this thread loaded its session. */
  readonly rssGrowthBytes: number;
}

type Ort = typeof import('onnxruntime-node');

async function loadOrt(): Promise<Ort> {
  try {
    return await import('onnxruntime-node');
  } catch (error) {
    throw new Error(`onnxruntime-node cannot be loaded (${(error as Error).message}); it is an optional dependency: install without --omit=optional to serve ONNX models`, { cause: error });
  }
}

async function start(): Promise<(task: SessionTask) => Promise<SessionHello | Result[]>> {
  const data = workerData as SessionThreadData;
  const ort = await loadOrt();
  const rssBefore = process.memoryUsage.rss();
  const started = performance.now();
  // Synchronous native work for a second or more: this thread is the only one it blocks.
  const session: InferenceSession = await ort.InferenceSession.create(data.modelPath, {
    intraOpNumThreads: data.intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const hello: SessionHello = { threadId, loadMs: performance.now() - started, rssGrowthBytes: Math.max(0, process.memoryUsage.rss() - rssBefore) };
  // The binding was checked against the file's graph when the model started; a file replaced since then is caught here.
  for (const input of data.binding.inputs) {
    if (!session.inputNames.includes(input.tensor)) throw new Error(`the loaded graph has no input "${input.tensor}" (its inputs: ${session.inputNames.join(', ')})`);
  }
  const fetches = [...new Set(data.binding.outputs.map((o) => o.tensor))];
  for (const name of fetches) {
    if (!session.outputNames.includes(name)) throw new Error(`the loaded graph has no output "${name}" (its outputs: ${session.outputNames.join(', ')})`);
  }

  return async (task) => {
    if (task.kind === 'hello') return hello;
    if (task.rows.length === 0) return [];
    const feeds: Record<string, InstanceType<Ort['Tensor']>> = {};
    for (const [name, tensor] of Object.entries(encodeInputs(data.binding, task.rows))) {
      feeds[name] = new ort.Tensor(tensor.type as 'float32', tensor.data as Float32Array, tensor.dims);
    }
    const outputs = await session.run(feeds, fetches);
    const plain: Record<string, TensorData> = {};
    for (const name of fetches) {
      const value = outputs[name]!;
      plain[name] = { type: value.type as TensorData['type'], data: value.data as TensorData['data'], dims: value.dims };
    }
    return decodeOutputs(data.binding, plain, task.rows.length);
  };
}

/**
 * piscina waits for this promise before the thread takes its first task: the
 * session loads once per thread. A session that cannot load answers every
 * task (the first is the pool's `hello`) with the reason, rather than
 * rejecting here: piscina would then retry the module another way, and report
 * that attempt's error instead of this one.
 */
export default start().catch((error: unknown) => (): Promise<never> => Promise.reject(error instanceof Error ? error : new Error(String(error))));
