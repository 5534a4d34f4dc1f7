import { z } from 'zod';
import { TooManyRowsError, ValidationError } from '../errors.js';
import { formatIssues } from '../format-issues.js';
import { parseRows } from '../model/parse-rows.js';
import type { Row } from '../model/row-schema.js';
import type { ModelSchemas } from '../registry/model-schemas.js';
import { nameComponent, type SchemaRegistry } from './openapi.js';
import { REQUEST_ID_HEADER } from './request-id.js';
import { REQUEST_TIMEOUT_HEADER } from './request-deadline.js';

/** Everything a predict route needs to know about one model's fields, built once per served model. */
export interface PredictSchemas {
  readonly row: z.ZodObject;
  readonly result: z.ZodObject;
  /** `{"instances": [rows]}`. */
  readonly batch: z.ZodObject;
  readonly predictions: z.ZodObject;
  /** The body as documented: one row, or `{"instances": [rows]}`. */
  readonly body: z.ZodType;
  readonly response: z.ZodType;
  /** Validates a body, choosing the form by the presence of `instances`, so errors name the right fields. */
  validateBody(body: unknown): { value: Row | { instances: Row[] } } | { error: ValidationError | TooManyRowsError };
}

/** The request headers every predict route reads, for the documentation. */
export function predictHeaders(maxTimeoutMs: number): z.ZodType {
  return z.looseObject({
    [REQUEST_TIMEOUT_HEADER]: z
      .int()
      .min(1)
      .max(maxTimeoutMs)
      .optional()
      .describe('Deadline in milliseconds for the answer: when it passes the request is answered 504; rows still queued are never sent, rows already at the model are computed and their results dropped. A caller that sets it is admitted up to it rather than up to the latency objective'),
    // No maxLength or pattern here: an id that does not fit is replaced, not refused, and a documented limit the server does not enforce misleads.
    [REQUEST_ID_HEADER]: z
      .string()
      .optional()
      .describe('Correlation id, echoed in the response and the logs: kept when it is 1 to 128 characters of A-Z a-z 0-9 . _ : @ / + = -, otherwise (or when absent) replaced by a new UUID, never refused'),
  });
}

/** Where a documented model's schemas are named as OpenAPI components (`<prefix>Row`, `<prefix>Prediction`, ...). */
export interface ComponentNames {
  readonly registry: SchemaRegistry;
  readonly prefix: string;
}

/**
 * A model's predict bodies and answers. With `components`, each schema is
 * named (`<Name>Row`, `<Name>Prediction`, `<Name>Instances`,
 * `<Name>Predictions`), so that generated clients get one type per model.
 */
export function predictSchemas(schemas: ModelSchemas, limits: { maxRequestRows: number }, components?: ComponentNames): PredictSchemas {
  const named = <T extends z.ZodType>(schema: T, suffix: string, description?: string): T => {
    if (components) nameComponent(components.registry, schema, `${components.prefix}${suffix}`, description);
    return schema;
  };
  const row = named(schemas.row, 'Row');
  const result = named(schemas.result, 'Prediction');
  const batch = named(z.strictObject({ instances: z.array(row).min(1).max(limits.maxRequestRows).describe(`Rows to predict, at most ${limits.maxRequestRows}`) }), 'Instances', 'Several rows in one request');
  const predictions = named(z.object({ predictions: z.array(result).describe('One result per instance, same order') }), 'Predictions', 'One result per instance, same order');

  // The envelope alone: the rows are then checked one by one (parseRows), stopping once enough issues are found.
  const envelope = z.strictObject({ instances: z.array(z.unknown()).min(1).max(limits.maxRequestRows) });

  return {
    row,
    result,
    batch,
    predictions,
    body: z.union([row, batch]).describe('One row, or {"instances": [rows]}'),
    response: z.union([result, predictions]),
    validateBody(body) {
      if (typeof body === 'object' && body !== null && !Array.isArray(body) && 'instances' in body) {
        const { instances } = body as { instances: unknown };
        if (Array.isArray(instances) && instances.length > limits.maxRequestRows) {
          return { error: new TooManyRowsError(instances.length, limits.maxRequestRows) };
        }
        const shape = envelope.safeParse(body);
        const issues = shape.success ? [] : formatIssues(shape.error.issues);
        if (Array.isArray(instances) && instances.length > 0) {
          const parsed = parseRows(row, instances, (path, index) => ['instances', index, ...path]);
          if ('issues' in parsed) issues.push(...parsed.issues);
          else if (issues.length === 0) return { value: { instances: parsed.rows } };
        }
        return { error: new ValidationError(issues) };
      }
      const parsed = row.safeParse(body);
      return parsed.success ? { value: parsed.data as Row } : { error: new ValidationError(formatIssues(parsed.error.issues)) };
    },
  };
}
