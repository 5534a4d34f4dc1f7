import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidJsonError, UnsupportedMediaTypeError } from '../errors.js';

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;
const UTF8 = new Set(['utf-8', 'utf8']);
const BYTE_ORDER_MARK = 0xfeff;

/**
 * Parses a JSON request body, refusing what would otherwise be misread:
 * a charset other than UTF-8 (RFC 8259 §8.1: JSON between systems is UTF-8),
 * bytes that are not UTF-8 (they would become U+FFFD silently), and text that
 * is not JSON. A leading byte order mark is ignored, as RFC 8259 allows.
 *
 * Plain `JSON.parse` rather than a prototype-poisoning filter: it only ever
 * creates own properties, and the row schemas reject any key they do not
 * declare (`__proto__` and `constructor` included) by name.
 */
export function parseJsonBody(request: FastifyRequest, body: Buffer): unknown {
  const charset = CHARSET.exec(request.headers['content-type'] ?? '')?.[1];
  if (charset !== undefined && !UTF8.has(charset.toLowerCase())) {
    throw new UnsupportedMediaTypeError(`content-type charset must be utf-8, got ${JSON.stringify(charset)}`);
  }
  if (body.length === 0) throw new InvalidJsonError('the request body is empty; send a JSON object');
  if (!isUtf8(body)) throw new InvalidJsonError('the request body is not valid UTF-8');
  let text = body.toString('utf8');
  if (text.charCodeAt(0) === BYTE_ORDER_MARK) text = text.slice(1);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InvalidJsonError(`the request body is not valid JSON: ${(error as Error).message}`);
  }
}

/** Makes `application/json` (any UTF-8 charset) the only body type the server reads; anything else is 415. */
export function acceptOnlyJson(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    try {
      done(null, parseJsonBody(request, body as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
