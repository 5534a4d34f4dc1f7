import { z } from 'zod';
import type { FieldSchema, ObjectSchema } from './manifest.js';

/** A row as the model receives it: field name → JSON scalar. */
export type Row = Record<string, unknown>;
/** A result as the model returns it. */
export type Result = Record<string, unknown>;

const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function fieldToZod(field: FieldSchema): z.ZodType {
  let schema: z.ZodType;
  if (field.enum) {
    const literals = field.enum.map((value) => z.literal(value));
    schema = literals.length === 1 ? literals[0]! : z.union(literals as [z.ZodLiteral, z.ZodLiteral, ...z.ZodLiteral[]]);
  } else if (field.type === 'integer' || field.type === 'number') {
    // z.number() already refuses NaN and ±Infinity, which JSON cannot carry anyway.
    let n = field.type === 'integer' ? z.int() : z.number();
    if (field.minimum !== undefined) n = n.gte(field.minimum);
    if (field.maximum !== undefined) n = n.lte(field.maximum);
    if (field.exclusiveMinimum !== undefined) n = n.gt(field.exclusiveMinimum);
    if (field.exclusiveMaximum !== undefined) n = n.lt(field.exclusiveMaximum);
    schema = n;
  } else if (field.type === 'string') {
    let s = z.string();
    if (field.minLength !== undefined) s = s.min(field.minLength);
    if (field.maxLength !== undefined) s = s.max(field.maxLength);
    if (field.pattern !== undefined) s = s.regex(new RegExp(field.pattern, 'u'));
    // An unpaired surrogate (valid in a JSON escape, `"\ud800"`) has no UTF-8
    // form: it would reach the model as U+FFFD instead of what was sent.
    schema = s.refine((value) => !UNPAIRED_SURROGATE.test(value), 'must be valid Unicode text (it holds an unpaired surrogate)');
  } else {
    schema = z.boolean();
  }
  if (field.nullable) schema = schema.nullable();
  if (field.description !== undefined) schema = schema.describe(field.description);
  return schema;
}

/**
 * The zod schema of one row, built from the manifest's `input` (or `output`)
 * declaration: the single source for HTTP validation and the OpenAPI document.
 * Unknown fields are rejected so that a misspelt field name is reported, not
 * silently dropped.
 */
export function rowSchema(object: ObjectSchema, example?: Row): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  const required = new Set(object.required);
  for (const [name, field] of Object.entries(object.properties)) {
    const schema = fieldToZod(field);
    shape[name] = required.has(name) ? schema : schema.optional();
  }
  let schema = z.strictObject(shape);
  if (object.description !== undefined) schema = schema.describe(object.description);
  if (example !== undefined) schema = schema.meta({ examples: [example] });
  return schema;
}
