import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import {
  BadHttpRequestError,
  GatewayError,
  InternalError,
  InvalidJsonError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors.js';
import { httpStatusOf } from './http-status.js';
import { readRestOfBodyAfterAnswer, wasAnsweredEarly } from './unread-body.js';

/** Maps anything thrown while serving a request to the gateway's typed errors. */
export function toGatewayError(error: unknown, bodyLimit: number): GatewayError {
  if (error instanceof GatewayError) return error;
  const fastifyError = error as Partial<FastifyError>;
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new PayloadTooLargeError(bodyLimit);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new UnsupportedMediaTypeError('content-type must be application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new InvalidJsonError('the request body is empty; send a JSON object');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new InvalidJsonError(`the request body is not valid JSON: ${fastifyError.message ?? ''}`);
    case 'FST_ERR_VALIDATION':
      return new ValidationError([{ field: String(fastifyError.validationContext ?? 'request'), reason: fastifyError.message ?? 'invalid' }]);
    default:
      break;
  }
  if (error instanceof SyntaxError || fastifyError.statusCode === 400) {
    return new InvalidJsonError(`the request body is not valid JSON: ${(error as Error).message}`);
  }
  return new InternalError('internal error', { cause: error });
}

/** The only place errors become HTTP responses: `{"error": {code, message, requestId, ...details}}`. */
export function errorHandler(bodyLimit: number, draining: () => boolean = () => false) {
  return function handle(this: unknown, error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const gatewayError = toGatewayError(error, bodyLimit);
    // While shutting down every connection closes anyway.
    if (!draining()) readRestOfBodyAfterAnswer(request, reply);
    const status = httpStatusOf(gatewayError);
    if (status === 500) {
      request.log.error({ err: error, code: gatewayError.code }, gatewayError.message);
    } else {
      request.log.debug({ code: gatewayError.code }, gatewayError.message);
    }
    if (gatewayError.retryAfterSeconds !== undefined) reply.header('retry-after', String(gatewayError.retryAfterSeconds));
    // RFC 9110 §11.6.1 and §15.5.6: a 401 names its scheme, a 405 the methods the path takes.
    if (gatewayError instanceof UnauthorizedError) reply.header('www-authenticate', 'Bearer realm="admin"');
    if (gatewayError instanceof MethodNotAllowedError) reply.header('allow', gatewayError.allow.join(', '));
    return reply.code(status).send({
      error: { code: gatewayError.code, message: gatewayError.message, requestId: request.id, ...gatewayError.details() },
    });
  };
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.send(new NotFoundError(`no route ${request.method} ${request.url.split('?')[0]}`));
}

/**
 * Node's HTTP parser rejected the request before any route (or the error
 * handler above) could see it: answer in the same `{"error": ...}` shape, with
 * a fresh request id since the request's own was never read, then close.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Duplex): void {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // Its request was already answered (413, 415) while the rest of its body was being discarded: just stop.
  if (wasAnsweredEarly(socket)) {
    socket.destroy();
    return;
  }
  const gatewayError =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new BadHttpRequestError('the request headers are larger than the server accepts', 'headers_too_large', { cause: error })
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new BadHttpRequestError('the request (headers and body) was not received within the deadline (--body-timeout-ms)', 'timeout', { cause: error })
        : new BadHttpRequestError(`the request is not valid HTTP (${error.code ?? 'parse error'})`, 'malformed', { cause: error });
  const status = httpStatusOf(gatewayError);
  const id = randomUUID();
  const body = rawErrorBody(gatewayError, id);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `x-request-id: ${id}\r\nconnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

function rawErrorBody(error: GatewayError, requestId: string): string {
  return JSON.stringify({ error: { code: error.code, message: error.message, requestId } });
}

/**
 * Node's `checkExpectation`: an `Expect` other than `100-continue`, which no
 * route understands (RFC 9110 §10.1.1), answered 417 in the JSON error shape
 * before any route runs.
 */
export function answerExpectationFailed(request: IncomingMessage, response: ServerResponse): void {
  const error = new BadHttpRequestError(`the Expect header ${JSON.stringify(request.headers.expect)} is not supported; only 100-continue is`, 'expectation_failed');
  const id = randomUUID();
  const body = rawErrorBody(error, id);
  response.writeHead(httpStatusOf(error), { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-request-id': id, connection: 'close' });
  response.end(body);
}
