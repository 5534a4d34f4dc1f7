import type { ArrayFieldSchema, FieldSchema } from '../model/manifest.js';

export type { ArrayFieldSchema };

/** One field of a model's input or output declaration, as the V2 front door reads it. */
export type DeclaredField = FieldSchema;

/** A model's `input` or `output` declaration (the manifest's `ObjectSchema` fits it). */
export interface DeclaredObject {
  readonly properties: Readonly<Record<string, DeclaredField>>;
  readonly required: readonly string[];
  readonly description?: string | undefined;
}

export function isArrayField(field: DeclaredField): field is ArrayFieldSchema {
  return field.type === 'array';
}
