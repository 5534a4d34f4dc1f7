/** The tensor element types of the Open Inference Protocol. */
export const DATATYPES = [
  'BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES',
] as const;

export type Datatype = (typeof DATATYPES)[number];

export type FixedDatatype = Exclude<Datatype, 'BYTES'>;

/** Bytes per element in the binary tensor form (BYTES elements are length-prefixed instead). */
export const ELEMENT_BYTES: Readonly<Record<FixedDatatype, number>> = {
  BOOL: 1, UINT8: 1, UINT16: 2, UINT32: 4, UINT64: 8, INT8: 1, INT16: 2, INT32: 4, INT64: 8, FP16: 2, FP32: 4, FP64: 8,
};

const INTEGER_RANGES: Readonly<Partial<Record<Datatype, readonly [number, number]>>> = {
  UINT8: [0, 2 ** 8 - 1],
  UINT16: [0, 2 ** 16 - 1],
  UINT32: [0, 2 ** 32 - 1],
  UINT64: [0, 2 ** 64 - 1],
  INT8: [-(2 ** 7), 2 ** 7 - 1],
  INT16: [-(2 ** 15), 2 ** 15 - 1],
  INT32: [-(2 ** 31), 2 ** 31 - 1],
  INT64: [-(2 ** 63), 2 ** 63 - 1],
};

export function isDatatype(value: string): value is Datatype {
  return (DATATYPES as readonly string[]).includes(value);
}

export function isNumeric(datatype: Datatype): boolean {
  return datatype !== 'BOOL' && datatype !== 'BYTES';
}

/** The inclusive range of an integer datatype; undefined for the others. */
export function integerRange(datatype: Datatype): readonly [number, number] | undefined {
  return INTEGER_RANGES[datatype];
}
