import { z } from 'zod';
import { integerReason } from '../format-issues.js';
import type { ArrayFieldSchema, FieldSchema, ObjectSchema, ScalarFieldSchema } from './manifest.js';

/** A row as the model receives it: field name → JSON scalar (or list of scalars). */
export type Row = Record<string, unknown>;
/** A result as the model returns it. */
export type Result = Record<string, unknown>;

const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** zod says "expected number" for text and "expected int" for 2.5; the manifest's word is "integer" for both. */
function integerError(issue: { readonly code?: string; readonly input?: unknown }): string | undefined {
  if (issue.code !== 'invalid_type' || issue.input === undefined) return undefined;
  return integerReason(issue.input);
}

function scalarToZod(field: ScalarFieldSchema): z.ZodType {
  if (field.enum) {
    // One enum (`{"type": "string", "enum": [...]}` in the OpenAPI document), not a union of one-value enums.
    return z.literal(field.enum as [string | number | boolean, ...(string | number | boolean)[]]);
  }
  if (field.type === 'integer' || field.type === 'number') {
    // z.number() already refuses NaN and ±Infinity, which JSON cannot carry anyway.
    let n = field.type === 'integer' ? z.int({ error: integerError }) : z.number();
    if (field.minimum !== undefined) n = n.gte(field.minimum);
    if (field.maximum !== undefined) n = n.lte(field.maximum);
    if (field.exclusiveMinimum !== undefined) n = n.gt(field.exclusiveMinimum);
    if (field.exclusiveMaximum !== undefined) n = n.lt(field.exclusiveMaximum);
    return n;
  }
  if (field.type === 'string') {
    let s = z.string();
    if (field.minLength !== undefined) s = s.min(field.minLength);
    if (field.maxLength !== undefined) s = s.max(field.maxLength);
    if (field.pattern !== undefined) s = s.regex(new RegExp(field.pattern, 'u'));
    // An unpaired surrogate (valid in a JSON escape, `"\ud800"`) has no UTF-8
    // form: it would reach the model as U+FFFD instead of what was sent.
    return s.refine((value) => !UNPAIRED_SURROGATE.test(value), 'must be valid Unicode text (it holds an unpaired surrogate)');
  }
  return z.boolean();
}

function arrayToZod(field: ArrayFieldSchema): z.ZodType {
  let items = scalarToZod(field.items);
  if (field.items.description !== undefined) items = items.describe(field.items.description);
  let list = z.array(items);
  if (field.minItems !== undefined) list = list.min(field.minItems);
  if (field.maxItems !== undefined) list = list.max(field.maxItems);
  return list;
}

function fieldToZod(field: FieldSchema): z.ZodType {
  let schema = field.type === 'array' ? arrayToZod(field) : scalarToZod(field);
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
