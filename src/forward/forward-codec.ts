import type { MessageToProduce } from '@platformatic/kafka';
import { DeadlineExceededError, ERROR_CODES, ForwardedError, InternalError, ModelError, ModelNotFoundError, ValidationError, type ErrorCode, type FieldIssue, type GatewayError } from '../errors.js';
import { HEADER } from '../kafka/record-codec.js';
import type { Result, Row } from '../model/row-schema.js';

export type ForwardRecord = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;

/** What a forwarded row carries besides itself. */
export interface ForwardRequest {
  readonly row: Row;
  /** The model's name: the worker instances serve several. */
  readonly model: string;
  /** Unique per row and front end: what its reply is matched by. */
  readonly correlationId: string;
  readonly replyTo: string;
  /** The caller's deadline, Unix epoch ms, and its length. */
  readonly deadline: number;
  readonly timeoutMs: number;
  readonly requestId: string | undefined;
}

/**
 * The record a forwarding front end produces for one row: the row as JSON
 * (what the Kafka front door consumes), no key (the front end picks the
 * partition), and the headers of the forwarding contract (see README,
 * "Forwarding HTTP to the Kafka workers").
 */
export function forwardRecord(topic: string, partition: number | undefined, request: ForwardRequest): ForwardRecord {
  const headers = new Map<Buffer, Buffer>([
    [Buffer.from(HEADER.correlationId), Buffer.from(request.correlationId)],
    [Buffer.from(HEADER.model), Buffer.from(request.model)],
    [Buffer.from(HEADER.replyTo), Buffer.from(request.replyTo)],
    [Buffer.from(HEADER.replyErrors), Buffer.from('true')],
    [Buffer.from(HEADER.deadline), Buffer.from(String(request.deadline))],
    [Buffer.from(HEADER.requestTimeout), Buffer.from(String(request.timeoutMs))],
  ]);
  if (request.requestId !== undefined) headers.set(Buffer.from(HEADER.requestId), Buffer.from(request.requestId));
  return { topic, ...(partition === undefined ? {} : { partition }), value: Buffer.from(JSON.stringify(request.row)), headers };
}

/** What a reply record says: whose it is, and the result or the typed error. */
export interface Reply {
  readonly correlationId: string | undefined;
  readonly outcome: Result | GatewayError;
}

interface ReplyRecord {
  readonly key: Buffer | undefined | null;
  readonly value: Buffer | undefined | null;
  readonly headers: ReadonlyMap<Buffer, Buffer>;
}

/** Reads a reply: a result, or the error its `error-code` header names, rebuilt as the class the worker instance raised where the front end needs it. */
export function readReply(record: ReplyRecord): Reply {
  const headers = new Map<string, string>();
  for (const [key, value] of record.headers) headers.set(key.toString('latin1'), value.toString('utf8'));
  const correlationId = record.key?.toString('utf8') ?? headers.get(HEADER.correlationId);
  const code = headers.get(HEADER.errorCode);
  if (code !== undefined) return { correlationId, outcome: typedError(code, headers.get(HEADER.errorMessage) ?? code, parseDetails(headers.get(HEADER.errorDetails))) };
  try {
    return { correlationId, outcome: JSON.parse(record.value?.toString('utf8') ?? '') as Result };
  } catch (error) {
    return { correlationId, outcome: new InternalError(`a worker instance replied with a value that is not JSON: ${(error as Error).message}`) };
  }
}

function parseDetails(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The classes the front door's own mappings look for (a model failure names its row; a deadline its length); any other code keeps its code and details. */
function typedError(code: string, message: string, details: Record<string, unknown>): GatewayError {
  if (!(code in ERROR_CODES)) return new InternalError(`a worker instance replied with the unknown error code ${code}: ${message}`);
  switch (code as ErrorCode) {
    case 'GW_ERR_MODEL':
      return new ModelError(typeof details.workerCode === 'string' ? details.workerCode : 'HANDLER_ERROR', message);
    case 'GW_ERR_DEADLINE_EXCEEDED':
      return new DeadlineExceededError(typeof details.timeoutMs === 'number' ? details.timeoutMs : 0);
    case 'GW_ERR_MODEL_NOT_FOUND':
      return new ModelNotFoundError(typeof details.model === 'string' ? details.model : message, 'is not served by the worker instances');
    case 'GW_ERR_VALIDATION':
      return Array.isArray(details.issues) ? new ValidationError(details.issues as FieldIssue[]) : new ForwardedError('GW_ERR_VALIDATION', message, details);
    default:
      return new ForwardedError(code as ErrorCode, message, details);
  }
}
