import type { z } from 'zod';
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
