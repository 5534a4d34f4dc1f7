import type { z } from 'zod';
import type { ResultCheck } from '../engine/check-results.js';
import { formatIssues } from '../format-issues.js';
import type { Manifest } from '../model/manifest.js';
import { rowSchema } from '../model/row-schema.js';

/** A model's row and result, as zod schemas built once from its manifest: what every front door validates with and documents. */
export interface ModelSchemas {
  readonly row: z.ZodObject;
  readonly result: z.ZodObject;
}

export function modelSchemas(manifest: Manifest): ModelSchemas {
  return Object.freeze({ row: rowSchema(manifest.input, manifest.example), result: rowSchema(manifest.output) });
}

/**
 * Checks a result with the model's declared output, the schema the OpenAPI
 * document publishes for it; names up to three fields that break it.
 */
export function resultCheck(result: z.ZodObject): ResultCheck {
  return (value) => {
    const parsed = result.safeParse(value);
    if (parsed.success) return undefined;
    return formatIssues(parsed.error.issues.slice(0, 3))
      .map((issue) => `${issue.field === '(body)' ? '(result)' : issue.field}: ${issue.reason}`)
      .join('; ');
  };
}
