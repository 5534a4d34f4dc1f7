import { isUtf8 } from 'node:buffer';
import { ELEMENT_BYTES, type Datatype } from './datatypes.js';
import { TensorIssue } from './tensor-issue.js';

/**
 * The binary tensor extension's element encoding (Triton
 * `extension_binary_data.md`): little-endian, row-major, no padding; BOOL one
 * byte; each BYTES element a 4-byte little-endian length, then the bytes.
 */

const LENGTH_PREFIX = 4;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/** Decodes `count` elements of `datatype` that must fill `bytes` exactly. */
export function decodeBinary(bytes: Uint8Array, datatype: Datatype, count: number): unknown[] {
  if (datatype === 'BYTES') return decodeBytes(bytes, count);
  const size = ELEMENT_BYTES[datatype];
  if (bytes.length !== count * size) {
    throw new TensorIssue(`binary_data_size is ${bytes.length} bytes, but ${count} ${datatype} elements take ${count * size}`);
  }
  // A DataView reads at any offset: the tensor need not be aligned within the body.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Array<unknown>(count);
  for (let i = 0; i < count; i++) out[i] = readElement(view, i * size, datatype, i);
  return out;
}

function readElement(view: DataView, offset: number, datatype: Exclude<Datatype, 'BYTES'>, index: number): unknown {
  switch (datatype) {
    case 'BOOL': {
      const byte = view.getUint8(offset);
      if (byte > 1) throw new TensorIssue(`element ${index} is the byte ${byte}; a BOOL is 0 or 1`);
      return byte === 1;
    }
    case 'UINT8': return view.getUint8(offset);
    case 'UINT16': return view.getUint16(offset, true);
    case 'UINT32': return view.getUint32(offset, true);
    case 'UINT64': return safeInteger(view.getBigUint64(offset, true), index);
    case 'INT8': return view.getInt8(offset);
    case 'INT16': return view.getInt16(offset, true);
    case 'INT32': return view.getInt32(offset, true);
    case 'INT64': return safeInteger(view.getBigInt64(offset, true), index);
    case 'FP16': return halfToNumber(view.getUint16(offset, true), index);
    case 'FP32': return finite(view.getFloat32(offset, true), index);
    case 'FP64': return finite(view.getFloat64(offset, true), index);
  }
}

function decodeBytes(bytes: Uint8Array, count: number): string[] {
  // Each element takes at least its length prefix: refuse a count the bytes cannot hold before allocating for it.
  if (count * LENGTH_PREFIX > bytes.length) {
    throw new TensorIssue(`binary_data_size is ${bytes.length} bytes, too few for ${count} BYTES elements of at least ${LENGTH_PREFIX} bytes each`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Array<string>(count);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    if (offset + LENGTH_PREFIX > bytes.length) throw new TensorIssue(`BYTES element ${i} has no length prefix: the binary data ends at byte ${bytes.length}`);
    const length = view.getUint32(offset, true);
    offset += LENGTH_PREFIX;
    if (offset + length > bytes.length) {
      throw new TensorIssue(`BYTES element ${i} declares ${length} bytes, beyond the ${bytes.length - offset} left in the binary data`);
    }
    const text = buffer.toString('utf8', offset, offset + length);
    // toString turns invalid bytes into U+FFFD silently: only text holding one needs the full check.
    if (text.includes('\ufffd') && !isUtf8(buffer.subarray(offset, offset + length))) throw new TensorIssue(`BYTES element ${i} is not valid UTF-8 text`);
    out[i] = text;
    offset += length;
  }
  if (offset !== bytes.length) {
    throw new TensorIssue(`binary_data_size is ${bytes.length} bytes, but the ${count} BYTES elements of the shape take ${offset}`);
  }
  return out;
}

function safeInteger(value: bigint, index: number): number {
  if (value > MAX_SAFE || value < MIN_SAFE) {
    throw new TensorIssue(`element ${index} (${value}) is beyond ±2^53, which a JSON number cannot hold exactly`);
  }
  return Number(value);
}

function finite(value: number, index: number): number {
  // JSON (and so every row a model sees) has no NaN or Infinity.
  if (!Number.isFinite(value)) throw new TensorIssue(`element ${index} is ${value}, not a finite number`);
  return value;
}

/** IEEE 754 half precision to a number (Node 20 has no Float16Array). */
function halfToNumber(half: number, index: number): number {
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >> 10) & 0x1f;
  const fraction = half & 0x3ff;
  if (exponent === 0x1f) throw new TensorIssue(`element ${index} is ${fraction === 0 ? 'Infinity' : 'NaN'}, not a finite number`);
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function numberToHalf(value: number): number {
  // Encode by rounding to the nearest representable half; only used for round trips of what was decoded.
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const abs = Math.abs(value);
  if (abs === 0) return sign;
  if (abs < 2 ** -14) return sign | Math.round(abs / 2 ** -24);
  let exponent = Math.floor(Math.log2(abs));
  let fraction = Math.round((abs / 2 ** exponent - 1) * 1024);
  if (fraction === 1024) {
    exponent += 1;
    fraction = 0;
  }
  if (exponent > 15) return sign | 0x7c00;
  return sign | ((exponent + 15) << 10) | fraction;
}

/** Encodes elements (already of the datatype's JS type: number, boolean or string) in the binary form. */
export function encodeBinary(values: readonly unknown[], datatype: Datatype): Buffer {
  if (datatype === 'BYTES') {
    const texts = values.map(String);
    const lengths = texts.map((text) => Buffer.byteLength(text, 'utf8'));
    const out = Buffer.allocUnsafe(lengths.reduce((sum, length) => sum + LENGTH_PREFIX + length, 0));
    let offset = 0;
    texts.forEach((text, i) => {
      out.writeUInt32LE(lengths[i]!, offset);
      offset += LENGTH_PREFIX + out.write(text, offset + LENGTH_PREFIX, 'utf8');
    });
    return out;
  }
  const size = ELEMENT_BYTES[datatype];
  const out = Buffer.alloc(values.length * size);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  values.forEach((value, i) => writeElement(view, i * size, datatype, value));
  return out;
}

function writeElement(view: DataView, offset: number, datatype: Exclude<Datatype, 'BYTES'>, value: unknown): void {
  const n = Number(value);
  switch (datatype) {
    case 'BOOL': return view.setUint8(offset, value === true ? 1 : 0);
    case 'UINT8': return view.setUint8(offset, n);
    case 'UINT16': return view.setUint16(offset, n, true);
    case 'UINT32': return view.setUint32(offset, n, true);
    case 'UINT64': return view.setBigUint64(offset, BigInt(Math.trunc(n)), true);
    case 'INT8': return view.setInt8(offset, n);
    case 'INT16': return view.setInt16(offset, n, true);
    case 'INT32': return view.setInt32(offset, n, true);
    case 'INT64': return view.setBigInt64(offset, BigInt(Math.trunc(n)), true);
    case 'FP16': return view.setUint16(offset, numberToHalf(n), true);
    case 'FP32': return view.setFloat32(offset, n, true);
    case 'FP64': return view.setFloat64(offset, n, true);
  }
}
