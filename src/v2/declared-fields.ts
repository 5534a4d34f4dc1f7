import type { FieldSchema } from '../model/manifest.js';

/**
 * A field holding a fixed-length list of numbers (e.g. the 64 pixels of a
 * digits image): one tensor of shape `[-1, n]`. Declared structurally here
 * so that the V2 front door reads it the same whether or not the manifest
 * schema of this build knows array fields yet.
 */
export interface ArrayFieldSchema {
  readonly type: 'array';
  readonly items: { readonly type: 'number' | 'integer' };
  readonly minItems?: number | undefined;
  readonly maxItems?: number | undefined;
  readonly description?: string | undefined;
}

/** One field of a model's input or output declaration, as the V2 front door reads it. */
export type DeclaredField = FieldSchema | ArrayFieldSchema;

/** A model's `input` or `output` declaration (the manifest's `ObjectSchema` fits it). */
export interface DeclaredObject {
  readonly properties: Readonly<Record<string, DeclaredField>>;
  readonly required: readonly string[];
  readonly description?: string | undefined;
}

export function isArrayField(field: DeclaredField): field is ArrayFieldSchema {
  return field.type === 'array';
}
