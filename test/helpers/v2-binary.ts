/**
 * Builds binary tensor extension bodies by hand (not with the codec under
 * test): the JSON header, then each tensor's bytes, and the headers that
 * say where the JSON ends.
 */
export function binaryBody(header: object, tensors: readonly Buffer[]): { payload: Buffer; headers: Record<string, string> } {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  return {
    payload: Buffer.concat([json, ...tensors]),
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(json.length) },
  };
}

export function fp32(values: readonly number[]): Buffer {
  const out = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => out.writeFloatLE(v, i * 4));
  return out;
}

export function fp64(values: readonly number[]): Buffer {
  const out = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => out.writeDoubleLE(v, i * 8));
  return out;
}

export function int64(values: readonly number[]): Buffer {
  const out = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => out.writeBigInt64LE(BigInt(v), i * 8));
  return out;
}

export function int32(values: readonly number[]): Buffer {
  const out = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => out.writeInt32LE(v, i * 4));
  return out;
}

/** BYTES elements: a 4-byte little-endian length, then the UTF-8 bytes. */
export function bytes(values: readonly string[]): Buffer {
  return Buffer.concat(
    values.flatMap((v) => {
      const data = Buffer.from(v, 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32LE(data.length);
      return [length, data];
    }),
  );
}

/** Splits a binary response into its JSON header and the bytes after it. */
export function splitBinaryResponse(body: Buffer, headerLength: number): { json: { outputs: { name: string; parameters?: { binary_data_size?: number } }[] } & Record<string, unknown>; tensors: Map<string, Buffer> } {
  const json = JSON.parse(body.subarray(0, headerLength).toString('utf8')) as { outputs: { name: string; parameters?: { binary_data_size?: number } }[] } & Record<string, unknown>;
  const tensors = new Map<string, Buffer>();
  let offset = headerLength;
  for (const output of json.outputs) {
    const size = output.parameters?.binary_data_size;
    if (size === undefined) continue;
    tensors.set(output.name, body.subarray(offset, offset + size));
    offset += size;
  }
  return { json, tensors };
}
