import { isNumeric, type Datatype } from './datatypes.js';
import { isArrayField, type DeclaredField, type DeclaredObject } from './declared-fields.js';

/** What one row holds in a field, as far as tensors are concerned. */
export type ElementKind = 'integer' | 'number' | 'string' | 'boolean';

/**
 * One input or output tensor, derived from one field of the manifest's
 * declaration: a scalar field is a `[-1]` tensor (one element per row), a
 * fixed-length list of numbers a `[-1, n]` tensor (one row per row).
 */
export interface TensorSpec {
  readonly name: string;
  /** The datatype reported in the model metadata and used for outputs. */
  readonly datatype: Datatype;
  /** `-1` for the row dimension, and for a list whose length the manifest leaves open. */
  readonly shape: readonly number[];
  readonly element: ElementKind;
  /** True for a list field: each row holds `width` elements. */
  readonly list: boolean;
  /** Elements per row of a list field, when the manifest fixes it (minItems = maxItems). */
  readonly width: number | undefined;
  readonly required: boolean;
  readonly nullable: boolean;
}

const SCALAR_DATATYPES: Readonly<Record<ElementKind, Datatype>> = {
  integer: 'INT64',
  number: 'FP64',
  string: 'BYTES',
  boolean: 'BOOL',
};

// Lists of numbers are images and feature vectors: FP32 is what numpy and the clients send for them.
const LIST_DATATYPES: Readonly<Record<ElementKind, Datatype>> = { integer: 'INT64', number: 'FP32', string: 'BYTES', boolean: 'BOOL' };

function specOf(name: string, field: DeclaredField, required: boolean): TensorSpec {
  if (isArrayField(field)) {
    const width = field.minItems !== undefined && field.minItems === field.maxItems ? field.minItems : undefined;
    return {
      name,
      datatype: LIST_DATATYPES[field.items.type],
      shape: [-1, width ?? -1],
      element: field.items.type,
      list: true,
      width,
      required,
      nullable: false,
    };
  }
  return {
    name,
    datatype: SCALAR_DATATYPES[field.type],
    shape: [-1],
    element: field.type,
    list: false,
    width: undefined,
    required,
    nullable: field.nullable === true,
  };
}

const cache = new WeakMap<DeclaredObject, readonly TensorSpec[]>();

/** The tensors of a declaration, in the order of its fields (computed once per declaration). */
export function tensorSpecs(object: DeclaredObject): readonly TensorSpec[] {
  let specs = cache.get(object);
  if (specs === undefined) {
    const required = new Set(object.required);
    specs = Object.freeze(Object.entries(object.properties).map(([name, field]) => Object.freeze(specOf(name, field, required.has(name)))));
    cache.set(object, specs);
  }
  return specs;
}

/**
 * Whether a request may send this field as `datatype`: numbers in any numeric
 * type (converted), strings only as BYTES, booleans only as BOOL.
 */
export function acceptsDatatype(spec: TensorSpec, datatype: Datatype): boolean {
  switch (spec.element) {
    case 'integer':
    case 'number':
      return isNumeric(datatype);
    case 'string':
      return datatype === 'BYTES';
    case 'boolean':
      return datatype === 'BOOL';
  }
}
