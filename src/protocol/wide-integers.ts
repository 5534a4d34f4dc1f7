/**
 * MessagePack writers (msgpackr among them) send a JavaScript number that is
 * a whole number beyond 32 bits as a float64, so a row's `5000000000` would
 * reach Python as `5000000000.0`, while `4000000000` arrives as an int. These
 * rows carry such numbers as `bigint`, which is written as int64 / uint64, so
 * that every whole number reaches the model as a Python `int`. Rows without
 * one are passed on as they are (no copy).
 */
export function widenIntegers<T>(rows: readonly T[]): readonly T[] {
  let out: T[] | undefined;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const widened = widenRow(row);
    if (widened === row) {
      if (out !== undefined) out.push(row);
      continue;
    }
    out ??= rows.slice(0, i);
    out.push(widened);
  }
  return out ?? rows;
}

function isWide(value: unknown): value is number {
  // `>>> 0` and `>> 0` keep a value that fits uint32 / int32, which msgpack writes as an integer already.
  return typeof value === 'number' && value >>> 0 !== value && value >> 0 !== value && Number.isSafeInteger(value);
}

function widenList(list: readonly unknown[]): readonly unknown[] {
  if (!list.some(isWide)) return list;
  return list.map((item) => (isWide(item) ? BigInt(item) : item));
}

function widenRow<T>(row: T): T {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return row;
  let copy: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(row)) {
    const widened = isWide(value) ? BigInt(value) : Array.isArray(value) ? widenList(value) : value;
    if (widened === value) continue;
    copy ??= { ...(row as Record<string, unknown>) };
    copy[key] = widened;
  }
  return (copy as T | undefined) ?? row;
}
