import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * The one root logger; components take `logger.child({ component })`.
 * JSON lines by default, readable lines when a person watches a terminal.
 */
export function createLogger(level: string, pretty = process.stdout.isTTY === true && process.env.LOG_FORMAT !== 'json', destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { pid: process.pid },
    // The admin token travels in this header; it must never reach a log.
    redact: { paths: ['req.headers.authorization', 'headers.authorization', 'request.headers.authorization'], censor: '[redacted]' },
    // One line per entry on a terminal (fields inline): a multi-line message, such as a Python traceback, is the only exception.
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true } } } : {}),
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
