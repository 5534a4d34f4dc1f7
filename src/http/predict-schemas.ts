import { z } from 'zod';
import { formatIssues } from '../config/format-issues.js';
import { TooManyRowsError, ValidationError } from '../errors.js';
import type { ModelSpec } from '../model/manifest.js';
import { rowSchema, type Row } from '../model/row-schema.js';

export const REQUEST_TIMEOUT_HEADER = 'x-request-timeout';
const DIGITS = /^[0-9]{1,16}$/;

export const errorBodySchema = z
  .object({
    error: z.looseObject({
      code: z.string().describe('Stable error code, GW_ERR_*'),
      message: z.string(),
      requestId: z.string(),
      issues: z.array(z.object({ field: z.string(), reason: z.string() })).optional().describe('Each rejected field and why'),
    }),
  })
  .describe('Error');

/** Everything the /predict route needs to know about the model's fields, built once from the manifest. */
export interface PredictSchemas {
  readonly row: z.ZodObject;
  readonly result: z.ZodObject;
  /** The body as documented: one row, or `{"instances": [rows]}`. */
  readonly body: z.ZodType;
  readonly response: z.ZodType;
  readonly headers: z.ZodType;
  /** Validates a body, choosing the form by the presence of `instances`, so errors name the right fields. */
  validateBody(body: unknown): { value: Row | { instances: Row[] } } | { error: ValidationError | TooManyRowsError };
  validateTimeout(value: unknown): { value: number | undefined } | { error: ValidationError };
}

export function predictSchemas(spec: ModelSpec, limits: { maxRequestRows: number; maxTimeoutMs: number }): PredictSchemas {
  const { manifest } = spec;
  const row = rowSchema(manifest.input, manifest.example);
  const result = rowSchema(manifest.output);
  const batch = z.strictObject({
    instances: z.array(row).min(1).max(limits.maxRequestRows).describe(`Rows to predict, at most ${limits.maxRequestRows}`),
  });
  const timeout = z.coerce
    .number()
    .int()
    .min(1)
    .max(limits.maxTimeoutMs)
    .optional()
    .describe('Deadline in milliseconds: rows not sent to the model by then are dropped and answered with 504');

  return {
    row,
    result,
    body: z.union([row, batch]).describe(`One ${manifest.name} row, or {"instances": [rows]}`),
    response: z.union([result, z.object({ predictions: z.array(result).describe('One result per instance, same order') })]),
    headers: z.looseObject({
      [REQUEST_TIMEOUT_HEADER]: timeout,
      'x-request-id': z.string().max(128).optional().describe('Correlation id; generated when absent, echoed in the response'),
    }),
    validateBody(body) {
      if (typeof body === 'object' && body !== null && !Array.isArray(body) && 'instances' in body) {
        const { instances } = body as { instances: unknown };
        if (Array.isArray(instances) && instances.length > limits.maxRequestRows) {
          return { error: new TooManyRowsError(instances.length, limits.maxRequestRows) };
        }
        const parsed = batch.safeParse(body);
        return parsed.success ? { value: parsed.data as { instances: Row[] } } : { error: new ValidationError(formatIssues(parsed.error.issues)) };
      }
      const parsed = row.safeParse(body);
      return parsed.success ? { value: parsed.data as Row } : { error: new ValidationError(formatIssues(parsed.error.issues)) };
    },
    validateTimeout(value) {
      if (value === undefined) return { value: undefined };
      // Only plain digits: Number() would also take '0x10', '1e3' and '' (as 0).
      if (typeof value !== 'string' || !DIGITS.test(value)) {
        return { error: new ValidationError([{ field: `header ${REQUEST_TIMEOUT_HEADER}`, reason: `must be a whole number of milliseconds from 1 to ${limits.maxTimeoutMs}` }]) };
      }
      const parsed = timeout.safeParse(value);
      if (parsed.success) return { value: parsed.data };
      return { error: new ValidationError(formatIssues(parsed.error.issues).map((i) => ({ field: `header ${REQUEST_TIMEOUT_HEADER}`, reason: i.reason }))) };
    },
  };
}
