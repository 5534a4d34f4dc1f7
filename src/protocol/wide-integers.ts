/**
 * MessagePack writers (msgpackr among them) send a JavaScript number that is
 * a whole number beyond 32 bits as a float64, so a row's `5000000000` would
 * reach Python as `5000000000.0`, while `4000000000` arrives as an int. These
 * rows carry such numbers as `bigint`, which is written as int64 / uint64, so
 * that every whole number reaches the model as a Python `int`. Rows without
 * one are passed on as they are (no copy).
 *
 * It runs on every batch sent to a Python worker, on the event loop: the scan
 * allocates nothing (a `for…in` over each row, not `Object.entries`), and a
 * number that fits 32 bits is passed after two integer comparisons.
 */
export function widenIntegers<T>(rows: readonly T[]): readonly T[] {
  let out: T[] | undefined;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (!holdsWide(row)) {
      if (out !== undefined) out.push(row);
      continue;
    }
    out ??= rows.slice(0, i);
    out.push(widenRow(row));
  }
  return out ?? rows;
}

function isWide(value: unknown): value is number {
  // `>>> 0` and `>> 0` keep a value that fits uint32 / int32, which msgpack writes as an integer already.
  return typeof value === 'number' && value >>> 0 !== value && value >> 0 !== value && Number.isSafeInteger(value);
}

function holdsWide(row: unknown): boolean {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return false;
  const record = row as Record<string, unknown>;
  for (const key in record) {
    const value = record[key];
    if (isWide(value)) return true;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) if (isWide(value[i])) return true;
    }
  }
  return false;
}

/** A copy of a row that holds a wide number, with each one (in a field or a list) as a bigint. */
function widenRow<T>(row: T): T {
  const copy: Record<string, unknown> = { ...(row as Record<string, unknown>) };
  for (const key in copy) {
    const value = copy[key];
    if (isWide(value)) copy[key] = BigInt(value);
    else if (Array.isArray(value) && value.some(isWide)) copy[key] = value.map((item: unknown) => (isWide(item) ? BigInt(item) : item));
  }
  return copy as T;
}
