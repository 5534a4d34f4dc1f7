import { ProtocolError } from '../errors.js';
import { HEADER_BYTES, LENGTH_OVERHEAD, MAX_FRAME_BYTES, type Frame } from './frame.js';

/**
 * Cuts a byte stream into frames. Chunks arrive split anywhere (a pipe read
 * may end mid-header), so bytes are held until a whole frame is there; they
 * are joined once per frame rather than once per chunk.
 */
export class FrameReader {
  #chunks: Buffer[] = [];
  #buffered = 0;

  /** Adds bytes and returns every frame they complete. Throws {@link ProtocolError} on a bad length. */
  push(chunk: Buffer): Frame[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const frames: Frame[] = [];
    while (this.#buffered >= HEADER_BYTES) {
      const head = this.#peek(HEADER_BYTES);
      const length = head.readUInt32BE(0);
      if (length < LENGTH_OVERHEAD || length > MAX_FRAME_BYTES) {
        throw new ProtocolError(`frame length ${length} is outside ${LENGTH_OVERHEAD}..${MAX_FRAME_BYTES}`);
      }
      const total = length + 4;
      if (this.#buffered < total) break;
      const bytes = this.#take(total);
      frames.push({ kind: bytes.readUInt8(4), id: bytes.readUInt32BE(5), payload: bytes.subarray(HEADER_BYTES) });
    }
    return frames;
  }

  /** Bytes held that do not yet form a frame (non-zero at EOF means a truncated frame). */
  get pendingBytes(): number {
    return this.#buffered;
  }

  #peek(bytes: number): Buffer {
    const first = this.#chunks[0]!;
    if (first.length >= bytes) return first;
    const joined = Buffer.concat(this.#chunks);
    this.#chunks = [joined];
    return joined;
  }

  #take(bytes: number): Buffer {
    let first = this.#chunks[0]!;
    if (first.length < bytes) {
      first = Buffer.concat(this.#chunks);
      this.#chunks = [first];
    }
    this.#buffered -= bytes;
    if (first.length === bytes) {
      this.#chunks.shift();
      return first;
    }
    this.#chunks[0] = first.subarray(bytes);
    return first.subarray(0, bytes);
  }
}
