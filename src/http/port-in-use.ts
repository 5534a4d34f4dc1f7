import { createServer } from 'node:net';
import { ConfigError } from '../errors.js';

/** The error for a port the HTTP front door cannot listen on: one line naming the port and what to do. */
export function portError(host: string, port: number, code: string | undefined): ConfigError | undefined {
  if (code === 'EADDRINUSE') return new ConfigError([{ field: '--port (PORT)', reason: `${host}:${port} is already in use (another gateway still running?): stop it or choose another port` }]);
  if (code === 'EACCES') return new ConfigError([{ field: '--port (PORT)', reason: `${host}:${port} may not be listened on by this user: choose a port above 1023` }]);
  if (code === 'EADDRNOTAVAIL') return new ConfigError([{ field: '--host (HOST)', reason: `${host} is not an address of this machine` }]);
  return undefined;
}

/**
 * Fails fast, before any model is prepared or worker started, when the HTTP
 * port cannot be listened on: a start that would take minutes to learn it is
 * a start wasted. (The front door still maps the same failure at `listen`,
 * for a port taken in between.)
 */
export async function checkPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => reject(portError(host, port, error.code) ?? error));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
