import { connect } from 'node:net';

/**
 * Raw bytes on a fresh loopback connection, for requests an HTTP client
 * refuses to send; resolves with every byte the server sent once it closes
 * the connection. With `end: false` the client's side stays open (the rest
 * of a declared body never comes), so only the server can end it.
 */
export function rawRequest(port: number, bytes: string | Buffer, options: { end?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    if (options.end === false) socket.write(bytes);
    else socket.end(bytes);
  });
}

/** The status and headers (names lower-cased) of a raw HTTP answer's head: everything before the blank line. */
export function parseHead(head: string): { status: number; headers: Record<string, string> } {
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers };
}

/** One whole raw answer (as `rawRequest` returns it): status, headers, and the JSON body (`undefined` when empty). */
export function parseRawResponse(text: string): { status: number; headers: Record<string, string>; body: unknown } {
  const end = text.indexOf('\r\n\r\n');
  const body = end < 0 ? '' : text.slice(end + 4);
  return { ...parseHead(end < 0 ? text : text.slice(0, end)), body: body === '' ? undefined : (JSON.parse(body) as unknown) };
}

/** One answer read off a raw connection. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * A loopback connection kept open between requests, for tests that write a
 * request in parts (headers now, body later) and read each answer as soon as
 * it is complete (answers must carry a content-length).
 */
export class RawConnection {
  readonly #socket;
  #buffered = Buffer.alloc(0);
  #waiting: (() => void) | undefined;
  #closed = false;

  constructor(port: number) {
    this.#socket = connect(port, '127.0.0.1');
    this.#socket.on('data', (chunk: Buffer) => {
      this.#buffered = Buffer.concat([this.#buffered, chunk]);
      this.#waiting?.();
    });
    this.#socket.on('close', () => {
      this.#closed = true;
      this.#waiting?.();
    });
    this.#socket.on('error', () => {});
  }

  write(bytes: string | Buffer): void {
    this.#socket.write(bytes);
  }

  /** The next complete answer; rejects if the server closes the connection first. */
  async response(): Promise<RawResponse> {
    for (;;) {
      const parsed = this.#take();
      if (parsed) return parsed;
      if (this.#closed) throw new Error(`connection closed before a complete answer (had: ${JSON.stringify(this.#buffered.toString('utf8'))})`);
      await new Promise<void>((resolve) => (this.#waiting = resolve));
      this.#waiting = undefined;
    }
  }

  /** True once the server has closed the connection. */
  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    this.#socket.destroy();
  }

  #take(): RawResponse | undefined {
    const end = this.#buffered.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const { status, headers } = parseHead(this.#buffered.subarray(0, end).toString('utf8'));
    const length = Number(headers['content-length'] ?? 0);
    if (this.#buffered.length < end + 4 + length) return undefined;
    const body = this.#buffered.subarray(end + 4, end + 4 + length).toString('utf8');
    this.#buffered = this.#buffered.subarray(end + 4 + length);
    return { status, headers, body };
  }
}
