import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../errors.js';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/**
 * A Fastify `onRequest` hook that lets a request through only with
 * `Authorization: Bearer <token>`. Both sides are hashed first so the
 * comparison takes the same time whatever the length or content of the guess;
 * the token itself is never logged (the logger redacts the header).
 */
export function requireAdminToken(token: string): (request: FastifyRequest) => Promise<void> {
  const expected = digest(token);
  return async (request) => {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? BEARER.exec(header) : null;
    const presented = digest(match?.[1] ?? '');
    // Compare even when the header is missing, so its absence takes no less time.
    if (!timingSafeEqual(presented, expected) || match === null) throw new UnauthorizedError();
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
