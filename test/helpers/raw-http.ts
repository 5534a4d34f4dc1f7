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
