import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import {
  GatewayError,
  InternalError,
  InvalidJsonError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors.js';

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
export function errorHandler(bodyLimit: number) {
  return function handle(this: unknown, error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const gatewayError = toGatewayError(error, bodyLimit);
    if (gatewayError.statusCode === 500) {
      request.log.error({ err: error, code: gatewayError.code }, gatewayError.message);
    } else {
      request.log.debug({ code: gatewayError.code }, gatewayError.message);
    }
    if (gatewayError.retryAfterSeconds !== undefined) reply.header('retry-after', String(gatewayError.retryAfterSeconds));
    return reply.code(gatewayError.statusCode).send({
      error: { code: gatewayError.code, message: gatewayError.message, requestId: request.id, ...gatewayError.details() },
    });
  };
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.send(new NotFoundError(`no route ${request.method} ${request.url.split('?')[0]}`));
}
