import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ValidationError } from '../errors.js';
import { parseJsonBody } from '../http/json-body.js';

/** Request and response header of the binary tensor extension: the length of the JSON part of the body. */
export const INFERENCE_HEADER_CONTENT_LENGTH = 'inference-header-content-length';

/**
 * An infer request's body: the JSON inference header, and the binary tensor
 * bytes after it (empty without the extension). `raw`: a raw binary request
 * (`Inference-Header-Content-Length: 0`), no header, the whole body the data
 * of the model's one input (see {@link rawBinaryRequest}).
 */
export interface V2Body {
  readonly header: unknown;
  readonly binary: Buffer;
  readonly raw?: true;
}

const DIGITS = /^[0-9]{1,16}$/;

/**
 * Splits a body into its JSON header and binary part. Without
 * `Inference-Header-Content-Length` the whole body is JSON; with it, the
 * JSON is that many bytes and the rest is tensor data (a view of the body,
 * never a copy); with it at 0, the whole body is tensor data.
 */
export function parseV2Body(request: FastifyRequest, body: Buffer): V2Body {
  const header = request.headers[INFERENCE_HEADER_CONTENT_LENGTH];
  if (header === undefined) return { header: parseJsonBody(request, body), binary: body.subarray(body.length) };
  const field = `header ${INFERENCE_HEADER_CONTENT_LENGTH}`;
  if (typeof header !== 'string' || !DIGITS.test(header)) {
    throw new ValidationError([{ field, reason: `must be the byte length of the JSON inference header, got ${JSON.stringify(header)}` }]);
  }
  const length = Number(header);
  if (length === 0) return { header: undefined, binary: body, raw: true };
  if (length > body.length) {
    throw new ValidationError([{ field, reason: `is ${length} bytes, beyond the ${body.length}-byte body` }]);
  }
  return { header: parseJsonBody(request, body.subarray(0, length)), binary: body.subarray(length) };
}

/**
 * Makes the V2 scope read every body, whatever its content type: tritonclient
 * sends none, binary requests are `application/octet-stream`, JSON ones
 * `application/json`. Call it inside the V2 plugin only: content-type parsers
 * are encapsulated, so the other routes keep their JSON-only parser. The
 * server's body limit still applies.
 */
export function acceptV2Bodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
    try {
      done(null, parseV2Body(request, body as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
