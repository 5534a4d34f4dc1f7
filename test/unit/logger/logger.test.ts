import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.js';

describe('createLogger', () => {
  it('redacts the authorization header (the admin token) wherever a request is logged', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger('info', false, sink);
    const headers = { authorization: 'Bearer secret-admin-token-123', 'x-request-id': 'r1' };
    logger.info({ req: { headers } }, 'as Fastify serialises a request');
    logger.info({ headers }, 'headers alone');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).not.toContain('secret-admin-token-123');
      expect(line).toContain('[redacted]');
      expect(line).toContain('"x-request-id":"r1"');
    }
  });
});
