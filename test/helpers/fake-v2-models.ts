import type { GatewayError } from '../../src/errors.js';
import { z } from 'zod';
import { loadModelSpec, type ObjectSchema } from '../../src/model/manifest.js';
import { rowSchema, type Result, type Row } from '../../src/model/row-schema.js';
import { isArrayField, type DeclaredObject } from '../../src/v2/declared-fields.js';
import type { V2Model, V2Models, V2PredictOptions } from '../../src/v2/v2-models.js';
import { CENSUS_MODEL_DIR } from './paths.js';

/** A model whose predict is a plain function; every call is recorded. */
export class FakeV2Model implements V2Model {
  readonly calls: { rows: Row[]; options: V2PredictOptions }[] = [];
  ready = true;
  /** What admission says before the body is read (see refuseBeforeBody); each question is recorded. */
  refusal: GatewayError | undefined = undefined;
  readonly refusalAsks: { rows: number; maxWaitMs: number | undefined }[] = [];
  constructor(
    readonly name: string,
    readonly version: string | undefined,
    readonly input: DeclaredObject,
    readonly output: DeclaredObject,
    readonly answer: (rows: Row[]) => Result[] | Promise<Result[]>,
    readonly platform?: string,
  ) {}

  refusalOf(rows: number, maxWaitMs: number | undefined): GatewayError | undefined {
    this.refusalAsks.push({ rows, maxWaitMs });
    return this.refusal;
  }

  async predict(rows: Row[], options: V2PredictOptions): Promise<{ results: Result[]; modelVersion: string | undefined }> {
    this.calls.push({ rows, options });
    return { results: await this.answer(rows), modelVersion: this.version };
  }
}

export class FakeV2Models implements V2Models {
  live_ = true;
  readonly #models = new Map<string, V2Model>();
  constructor(models: readonly V2Model[]) {
    for (const model of models) this.#models.set(model.name, model);
  }
  get(name: string): V2Model | undefined {
    return this.#models.get(name);
  }
  list(): readonly V2Model[] {
    return [...this.#models.values()];
  }
  live(): boolean {
    return this.live_;
  }
  ready(): boolean {
    return this.list().every((model) => model.ready);
  }
}

/** A toy with one field of each scalar kind: y = 2x, the rest echoed. */
export const TOY_INPUT: DeclaredObject = {
  properties: {
    x: { type: 'number', minimum: -1000, maximum: 1000 },
    n: { type: 'integer', minimum: 0 },
    flag: { type: 'boolean' },
    label: { type: 'string', maxLength: 16 },
  },
  required: ['x'],
};
export const TOY_OUTPUT: DeclaredObject = {
  properties: { y: { type: 'number' }, n: { type: 'integer' }, flag: { type: 'boolean' }, label: { type: 'string' } },
  required: ['y'],
};
export function toyModel(): FakeV2Model {
  return new FakeV2Model('toy', '3', TOY_INPUT, TOY_OUTPUT, (rows) =>
    rows.map((row) => ({ y: 2 * (row.x as number), n: row.n ?? 0, flag: row.flag ?? false, label: row.label ?? '' })),
  );
}

/** `digits` as the multi-model branch declares it: 64 pixels (0-16) in, a digit out. */
export const DIGITS_INPUT: DeclaredObject = {
  properties: { pixels: { type: 'array', items: { type: 'number' }, minItems: 64, maxItems: 64, description: '8x8 grey levels, 0-16' } },
  required: ['pixels'],
};
export const DIGITS_OUTPUT: DeclaredObject = {
  properties: { digit: { type: 'integer', minimum: 0, maximum: 9 }, probability: { type: 'number' } },
  required: ['digit', 'probability'],
};
/** The fake's rule: the digit is the sum of the pixels modulo 10. */
export function digitOf(pixels: readonly number[]): number {
  return Math.round(pixels.reduce((sum, p) => sum + p, 0)) % 10;
}
export function digitsModel(): FakeV2Model {
  return new FakeV2Model('digits', '1', DIGITS_INPUT, DIGITS_OUTPUT, (rows) =>
    rows.map((row) => ({ digit: digitOf(row.pixels as number[]), probability: 0.5 })),
  );
}

/** census-income's real manifest declaration, with a deterministic stand-in for the forest. */
export async function censusModel(): Promise<FakeV2Model> {
  const { manifest } = await loadModelSpec(CENSUS_MODEL_DIR);
  return new FakeV2Model('census-income', manifest.version, manifest.input, manifest.output, (rows) => rows.map(censusAnswer), 'python');
}
export function censusAnswer(row: Row): Result {
  const age = row.age as number;
  return { probability: age / 150, income: age > 40 ? '>50K' : '<=50K' };
}

/**
 * The row schema of the manifest, plus the list fields this build's
 * `rowSchema` does not know yet (the multi-model branch adds them to it).
 */
export function rowSchemaWithLists(input: DeclaredObject): z.ZodType {
  const scalars: ObjectSchema['properties'] = {};
  const lists: Record<string, z.ZodType> = {};
  for (const [name, field] of Object.entries(input.properties)) {
    if (isArrayField(field)) lists[name] = z.array(z.number()).min(field.minItems ?? 0).max(field.maxItems ?? Number.MAX_SAFE_INTEGER);
    else scalars[name] = field;
  }
  if (Object.keys(scalars).length === 0) return z.strictObject(lists);
  const required = input.required.filter((name) => name in scalars);
  return rowSchema({ type: 'object', properties: scalars, required }).extend(lists);
}
