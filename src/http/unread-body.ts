import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Sockets whose request was answered before its body was read; Node is discarding the rest of that body. */
const answeredEarly = new WeakSet<Socket>();

/**
 * Keeps the connection open while the rest of an unread request body is
 * discarded, instead of the `Connection: close` Fastify sets on a body it
 * refuses (413, 415). Closing a socket that still has unread bytes makes the
 * kernel send a reset, and a client that writes its whole body before reading
 * (Python's http.client, often Node's fetch) then sees a broken pipe instead
 * of the answer. Node reads the rest and throws it away once the answer is
 * sent; the body deadline (--body-timeout-ms) bounds how long that may take,
 * after which the connection is closed without a second answer.
 */
export function readRestOfBodyAfterAnswer(request: FastifyRequest, reply: FastifyReply): void {
  if (request.raw.complete) return;
  reply.removeHeader('connection');
  const socket = request.raw.socket;
  answeredEarly.add(socket);
  request.raw.once('end', () => answeredEarly.delete(socket));
}

/** True while a socket's request has its answer and only its unread body remains. */
export function wasAnsweredEarly(socket: object): boolean {
  return answeredEarly.has(socket as Socket);
}
