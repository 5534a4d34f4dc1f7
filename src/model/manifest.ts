import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ManifestError } from '../errors.js';
import { formatIssues } from '../format-issues.js';
import { bindOnnx, onnxSectionSchema, OnnxBindingError } from './onnx-binding.js';
import { readGraphSignature } from './onnx-signature.js';
import { rowSchema } from './row-schema.js';

/** Manifest file name inside a model directory. */
export const MANIFEST_FILE = 'model.json';

const scalarShape = {
  type: z.enum(['integer', 'number', 'string', 'boolean']),
  description: z.string().optional(),
  minimum: z.number().optional(),
  maximum: z.number().optional(),
  exclusiveMinimum: z.number().optional(),
  exclusiveMaximum: z.number().optional(),
  minLength: z.int().nonnegative().optional(),
  maxLength: z.int().nonnegative().optional(),
  pattern: z.string().optional(),
  enum: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1).optional(),
  nullable: z.boolean().optional(),
};

interface ScalarLike {
  readonly type: 'integer' | 'number' | 'string' | 'boolean';
  readonly minimum?: number | undefined;
  readonly maximum?: number | undefined;
  readonly exclusiveMinimum?: number | undefined;
  readonly exclusiveMaximum?: number | undefined;
  readonly minLength?: number | undefined;
  readonly maxLength?: number | undefined;
  readonly pattern?: string | undefined;
}

function refineScalar(field: ScalarLike, ctx: z.RefinementCtx): void {
  const numeric = field.type === 'integer' || field.type === 'number';
  for (const key of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'] as const) {
    if (field[key] !== undefined && !numeric) {
      ctx.addIssue({ code: 'custom', path: [key], message: `only applies to numbers, not ${field.type}` });
    }
  }
  for (const key of ['minLength', 'maxLength', 'pattern'] as const) {
    if (field[key] !== undefined && field.type !== 'string') {
      ctx.addIssue({ code: 'custom', path: [key], message: `only applies to strings, not ${field.type}` });
    }
  }
  if (field.pattern !== undefined) {
    try {
      new RegExp(field.pattern, 'u');
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: ['pattern'], message: `not a valid regular expression: ${String(error)}` });
    }
  }
}

/** The subset of JSON Schema a model may use to describe one scalar field. */
const scalarFieldSchema = z.strictObject(scalarShape).superRefine(refineScalar);

/** An item of an array field: a scalar, never null (a tensor has no holes). */
const itemSchema = z.strictObject({ ...scalarShape, nullable: z.literal(false).optional() }).superRefine(refineScalar);

/**
 * A fixed- or bounded-length list of scalars, e.g. an image's 64 pixels:
 * `{"type": "array", "items": {"type": "number"}, "minItems": 64, "maxItems": 64}`.
 */
const arrayFieldSchema = z
  .strictObject({
    type: z.literal('array'),
    items: itemSchema,
    description: z.string().optional(),
    minItems: z.int().nonnegative().optional(),
    maxItems: z.int().nonnegative().optional(),
    nullable: z.boolean().optional(),
  })
  .superRefine((field, ctx) => {
    if (field.minItems !== undefined && field.maxItems !== undefined && field.minItems > field.maxItems) {
      ctx.addIssue({ code: 'custom', path: ['minItems'], message: `must not exceed maxItems (${field.maxItems})` });
    }
  });

// Chosen by `type`, so a bad scalar field is reported as such (not as "not an array").
const fieldSchema = z.discriminatedUnion('type', [arrayFieldSchema, scalarFieldSchema]);

export type ScalarFieldSchema = z.infer<typeof scalarFieldSchema>;
export type ArrayFieldSchema = z.infer<typeof arrayFieldSchema>;
export type FieldSchema = ScalarFieldSchema | ArrayFieldSchema;

const objectSchema = z
  .strictObject({
    type: z.literal('object'),
    description: z.string().optional(),
    properties: z.record(z.string().min(1), fieldSchema),
    required: z.array(z.string()).default([]),
  })
  .superRefine((object, ctx) => {
    object.required.forEach((name, index) => {
      if (!(name in object.properties)) {
        ctx.addIssue({ code: 'custom', path: ['required', index], message: `"${name}" is not in properties` });
      }
    });
    if (Object.keys(object.properties).length === 0) {
      ctx.addIssue({ code: 'custom', path: ['properties'], message: 'must declare at least one field' });
    }
  });

export type ObjectSchema = z.infer<typeof objectSchema>;

/** The kinds of model backend; each is one folder under `src/backends/`. */
export const RUNTIMES = ['python', 'onnx'] as const;
export type Runtime = (typeof RUNTIMES)[number];

/** What a model's name (and, in a repository, its directory's) may be: one URL path segment, the same on every file system. */
export const MODEL_NAME = /^[a-z0-9][a-z0-9._-]*$/;
export const MODEL_NAME_RULE = 'a name is lower-case letters, digits, ".", "_" or "-", starting with a letter or digit';

const manifestSchema = z.strictObject({
  name: z.string().regex(MODEL_NAME, MODEL_NAME_RULE),
  version: z.string().min(1),
  description: z.string().default(''),
  /** Which backend runs the model: `python` (a handler in worker processes) or `onnx` (an `.onnx` artifact on worker threads). */
  runtime: z.enum(RUNTIMES).default('python'),
  /** Python module in the model directory with `predict(rows)` and an optional `load(model_dir)` (runtime `python`). */
  handler: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*$/, 'a Python module name').optional(),
  /** pip requirements file, relative to the model directory. */
  requirements: z.string().optional(),
  /** Artifact the handler loads; when it is missing and `train` is set, the gateway trains first. */
  artifact: z.string().optional(),
  /** Python script that writes `artifact`, run with the model's virtualenv (runtime `onnx`: with `trainWith`'s). */
  train: z.string().optional(),
  /**
   * Runtime `onnx`: the (Python) model directory, relative to this one, whose
   * environment runs `train`; it is prepared first, and its own training may
   * already write `artifact`. No Python runs while serving.
   */
  trainWith: z.string().min(1).optional(),
  /** Request fields; runtime `onnx` derives them from the graph when left out. */
  input: objectSchema.optional(),
  /** Result fields; runtime `onnx` derives them from the graph when left out. */
  output: objectSchema.optional(),
  /** Runtime `onnx`: how fields map to the graph's tensors (derived by name when left out), and its threads. */
  onnx: onnxSectionSchema.optional(),
  /** One valid input row, shown in the API docs. */
  example: z.record(z.string(), z.unknown()).optional(),
  batching: z
    .strictObject({
      maxBatchRows: z.int().min(1).max(65_536).optional(),
      /** Latency objective in ms: caps batches and drives admission control. */
      latencySloMs: z.int().min(1).max(3_600_000).optional(),
      /** Most throughput (a share, 0–1) the objective may cost before it is reported infeasible. */
      latencySloMaxCost: z.number().min(0).max(1).optional(),
      /** Longest an idle worker may hold a partial batch back while another batch runs. */
      maxBatchWaitMs: z.int().min(0).max(10_000).optional(),
      /** Rows that may wait for this model's workers before new requests are refused. */
      maxQueueRows: z.int().min(1).max(10_000_000).optional(),
    })
    .default({}),
  workers: z.int().min(1).max(64).optional(),
}).superRefine((m, ctx) => {
  if (m.runtime === 'python') {
    for (const key of ['handler', 'input', 'output'] as const) {
      if (m[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'is required for runtime "python"' });
    }
    for (const key of ['onnx', 'trainWith'] as const) {
      if (m[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'only applies to runtime "onnx"' });
    }
  } else {
    if (m.artifact === undefined) ctx.addIssue({ code: 'custom', path: ['artifact'], message: 'is required for runtime "onnx": the .onnx file to serve' });
    if (m.handler !== undefined) ctx.addIssue({ code: 'custom', path: ['handler'], message: 'only applies to runtime "python"' });
    if (m.train !== undefined && m.trainWith === undefined) ctx.addIssue({ code: 'custom', path: ['trainWith'], message: 'is required with "train" for runtime "onnx": the Python model directory whose environment runs it' });
  }
});

type ParsedManifest = z.infer<typeof manifestSchema>;

/** A validated manifest; `input` and `output` are always there (declared, or derived from an ONNX graph). */
export type Manifest = Readonly<
  Omit<ParsedManifest, 'input' | 'output' | 'onnx'> & {
    input: ObjectSchema;
    output: ObjectSchema;
    onnx: z.infer<typeof onnxSectionSchema>;
    /** What was derived from an ONNX graph rather than declared (for the start-up log). */
    derived?: readonly string[];
    /** Graph outputs left out of the derived `output` (for a start-up warning). */
    leftOut?: readonly string[];
  }
>;

/** A model directory with its parsed manifest. */
export interface ModelSpec {
  readonly dir: string;
  readonly manifest: Manifest;
}

/** Reads and validates `<dir>/model.json`; throws {@link ManifestError} naming the bad field. */
export async function loadModelSpec(dir: string): Promise<ModelSpec> {
  const absolute = path.resolve(dir);
  const file = path.join(absolute, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ManifestError(file, 'cannot be read (is --model a model directory?)', { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(file, `is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  // reportInput: a field type that matches no option is quoted in the message.
  const parsed = manifestSchema.safeParse(json, { reportInput: true });
  if (!parsed.success) {
    throw new ManifestError(file, formatIssues(parsed.error.issues).map((i) => `${i.field}: ${i.reason}`).join('; '));
  }
  const manifest = await completeManifest(parsed.data, absolute, file);
  // The example is published in the OpenAPI document as a valid request: one that the model would refuse misleads every reader.
  if (manifest.example !== undefined) {
    const example = rowSchema(manifest.input).safeParse(manifest.example);
    if (!example.success) {
      throw new ManifestError(file, `example does not match input: ${formatIssues(example.error.issues).map((i) => `example.${i.field}: ${i.reason}`).join('; ')}`);
    }
  }
  return Object.freeze({ dir: absolute, manifest: Object.freeze(manifest) });
}

/** The path of a model's artifact (runtime `onnx`: its `.onnx` file). */
export function artifactPath(spec: ModelSpec): string | undefined {
  return spec.manifest.artifact === undefined ? undefined : path.resolve(spec.dir, spec.manifest.artifact);
}

/**
 * Fills what an ONNX manifest may leave to its graph. With `input` and
 * `output` declared, nothing is read here (the artifact may not exist until
 * the model is prepared; the backend checks the mapping when it starts).
 */
async function completeManifest(parsed: ParsedManifest, dir: string, file: string): Promise<Manifest> {
  const onnx = parsed.onnx ?? onnxSectionSchema.parse({});
  if (parsed.input !== undefined && parsed.output !== undefined) return { ...parsed, input: parsed.input, output: parsed.output, onnx };
  const artifact = path.resolve(dir, parsed.artifact!);
  let graph;
  try {
    graph = await readGraphSignature(artifact);
  } catch (error) {
    throw new ManifestError(file, `declares no ${parsed.input === undefined ? 'input' : 'output'}, and its graph ${artifact} cannot be read to derive it: ${(error as Error).message}`, { cause: error });
  }
  try {
    const bound = bindOnnx(onnx, parsed.input, parsed.output, graph);
    return { ...parsed, input: bound.input, output: bound.output, onnx, derived: bound.derived.filter((note) => !note.startsWith('onnx.')), leftOut: bound.leftOut };
  } catch (error) {
    if (error instanceof OnnxBindingError) throw new ManifestError(file, error.message, { cause: error });
    throw error;
  }
}
