import type { MessageToProduce } from '@platformatic/kafka';
import type { z } from 'zod';
import { formatIssues } from '../format-issues.js';
import { EmptyRecordError, InvalidJsonError, ValidationError, type GatewayError } from '../errors.js';
import type { Result, Row } from '../model/row-schema.js';

/** Header names of the record contract (see README, "Kafka mode"). */
export const HEADER = {
  correlationId: 'correlation-id',
  model: 'model',
  replyTo: 'reply-to',
  errorCode: 'error-code',
  errorMessage: 'error-message',
  errorRetriable: 'error-retriable',
  /** JSON of the error's typed details (which field, which limit), when it has any. */
  errorDetails: 'error-details',
  /** The HTTP caller's request id, carried by a forwarding front end (and logged by the worker instance). */
  requestId: 'x-request-id',
  /** Unix epoch milliseconds after which the record must not be predicted (the caller's deadline). */
  deadline: 'deadline-ms',
  /** The deadline's length in ms (for the error message), beside `deadline-ms`. */
  requestTimeout: 'x-request-timeout',
  /** `true`: a failure is answered to `reply-to` (with the error headers) instead of the dead-letter topic. */
  replyErrors: 'reply-errors',
  sourceTopic: 'source-topic',
  sourcePartition: 'source-partition',
  sourceOffset: 'source-offset',
} as const;

/** What the codec reads of a consumed record. */
export interface InputRecord {
  readonly key: Buffer | undefined;
  readonly value: Buffer | undefined;
  readonly headers: ReadonlyMap<Buffer, Buffer>;
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

export type OutputRecord = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;

/** The row a record carries, validated by the model's own row schema (the one HTTP uses), or why not. */
export function decodeRow(value: Buffer | undefined, schema: z.ZodType): { row: Row } | { error: GatewayError } {
  if (value === undefined || value.length === 0) return { error: new EmptyRecordError() };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (error) {
    return { error: new InvalidJsonError(`the record value is not JSON: ${(error as Error).message}`) };
  }
  const checked = schema.safeParse(parsed);
  return checked.success ? { row: checked.data as Row } : { error: new ValidationError(formatIssues(checked.error.issues)) };
}

function header(record: InputRecord, name: string): Buffer | undefined {
  for (const [key, value] of record.headers) if (key.toString('latin1') === name) return value;
  return undefined;
}

/** The model a record asks for (its `model` header); `undefined` (no header, or empty) means the default model. */
export function modelOf(record: Pick<InputRecord, 'headers'>): string | undefined {
  const name = header(record as InputRecord, HEADER.model)?.toString('utf8');
  return name === undefined || name === '' ? undefined : name;
}

/** The record's deadline (its `deadline-ms` header, Unix epoch ms); `undefined` when it has none or it is not a number. */
export function deadlineOf(record: Pick<InputRecord, 'headers'>): number | undefined {
  const text = header(record as InputRecord, HEADER.deadline)?.toString('latin1');
  if (text === undefined || !/^[0-9]{1,16}$/.test(text)) return undefined;
  return Number(text);
}

/** The caller's request id (`x-request-id` header), for the log lines about this record. */
export function requestIdOf(record: Pick<InputRecord, 'headers'>): string | undefined {
  return header(record as InputRecord, HEADER.requestId)?.toString('utf8');
}

/** The input's key, else its `correlation-id` header: what routes the answer back to the asker. */
function replyKey(record: InputRecord): Buffer | undefined {
  return record.key ?? header(record, HEADER.correlationId);
}

/** The result of one input record: same key and headers, to its `reply-to` topic or the output topic. */
export function resultRecord(record: InputRecord, result: Result, outputTopic: string): OutputRecord {
  const replyTo = header(record, HEADER.replyTo)?.toString('utf8');
  const key = replyKey(record);
  return {
    topic: replyTo !== undefined && replyTo !== '' ? replyTo : outputTopic,
    ...(key === undefined ? {} : { key }),
    value: Buffer.from(JSON.stringify(result)),
    headers: new Map(record.headers),
  };
}

/**
 * The one place a failure becomes a dead letter (the Kafka front door's
 * mapping of the error codes): the original payload, key and headers, plus
 * why (`error-code`, `error-message`, `error-retriable`: whether sending the
 * record again may succeed, `error-details`) and where it came from. A
 * record that asks for it (`reply-errors: true`) gets it on its `reply-to`
 * topic instead.
 */
export function deadLetterRecord(record: InputRecord, error: GatewayError, dlqTopic: string): OutputRecord {
  const headers = new Map(record.headers);
  headers.set(Buffer.from(HEADER.errorCode), Buffer.from(error.code));
  headers.set(Buffer.from(HEADER.errorMessage), Buffer.from(error.message));
  headers.set(Buffer.from(HEADER.errorRetriable), Buffer.from(String(error.retriable)));
  const details = error.details();
  if (Object.keys(details).length > 0) headers.set(Buffer.from(HEADER.errorDetails), Buffer.from(JSON.stringify(details)));
  headers.set(Buffer.from(HEADER.sourceTopic), Buffer.from(record.topic));
  headers.set(Buffer.from(HEADER.sourcePartition), Buffer.from(String(record.partition)));
  headers.set(Buffer.from(HEADER.sourceOffset), Buffer.from(record.offset.toString()));
  const key = replyKey(record);
  // A forwarding front end awaits the answer, failure or not, on its own reply topic.
  const replyTo = header(record, HEADER.replyTo)?.toString('utf8');
  const toReplyTo = replyTo !== undefined && replyTo !== '' && header(record, HEADER.replyErrors)?.toString('latin1') === 'true';
  return {
    topic: toReplyTo ? replyTo : dlqTopic,
    ...(key === undefined ? {} : { key }),
    ...(record.value === undefined ? {} : { value: record.value }),
    headers,
  };
}
