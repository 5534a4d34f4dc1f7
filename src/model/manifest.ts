import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ManifestError } from '../errors.js';
import { formatIssues } from '../format-issues.js';
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
export const RUNTIMES = ['python'] as const;
export type Runtime = (typeof RUNTIMES)[number];

const manifestSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" or "-"'),
  version: z.string().min(1),
  description: z.string().default(''),
  /** Which backend runs the model. */
  runtime: z.enum(RUNTIMES).default('python'),
  /** Python module in the model directory with `predict(rows)` and an optional `load(model_dir)`. */
  handler: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*$/, 'a Python module name'),
  /** pip requirements file, relative to the model directory. */
  requirements: z.string().optional(),
  /** Artifact the handler loads; when it is missing and `train` is set, the gateway trains first. */
  artifact: z.string().optional(),
  /** Python script that writes `artifact`, run with the model's virtualenv. */
  train: z.string().optional(),
  input: objectSchema,
  output: objectSchema,
  /** One valid input row, shown in the API docs. */
  example: z.record(z.string(), z.unknown()).optional(),
  batching: z
    .strictObject({
      maxBatchRows: z.int().min(1).max(65_536).optional(),
      /** Latency objective in ms: caps batches and drives admission control. */
      latencySloMs: z.int().min(1).max(3_600_000).optional(),
      /** Longest an idle worker may hold a partial batch back while another batch runs. */
      maxBatchWaitMs: z.int().min(0).max(10_000).optional(),
      /** Rows that may wait for this model's workers before new requests are refused. */
      maxQueueRows: z.int().min(1).max(10_000_000).optional(),
    })
    .default({}),
  workers: z.int().min(1).max(64).optional(),
});

export type Manifest = Readonly<z.infer<typeof manifestSchema>>;

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
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new ManifestError(file, formatIssues(parsed.error.issues).map((i) => `${i.field}: ${i.reason}`).join('; '));
  }
  // The example is published in the OpenAPI document as a valid request: one that the model would refuse misleads every reader.
  if (parsed.data.example !== undefined) {
    const example = rowSchema(parsed.data.input).safeParse(parsed.data.example);
    if (!example.success) {
      throw new ManifestError(file, `example does not match input: ${formatIssues(example.error.issues).map((i) => `example.${i.field}: ${i.reason}`).join('; ')}`);
    }
  }
  return Object.freeze({ dir: absolute, manifest: Object.freeze(parsed.data) });
}
