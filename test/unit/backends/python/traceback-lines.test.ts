import { afterEach, describe, expect, it, vi } from 'vitest';
import { TracebackLines } from '../../../../src/backends/python/traceback-lines.js';

function feed(lines: readonly string[]): string[] {
  const entries: string[] = [];
  const grouper = new TracebackLines((text) => entries.push(text));
  for (const line of lines) grouper.push(line);
  grouper.flush();
  return entries;
}

const traceback = [
  'batch 3: predict() raised:',
  'Traceback (most recent call last):',
  '  File "/app/worker.py", line 79, in run',
  '    results = predict(rows)',
  '  File "/models/toy/handler.py", line 16, in predict',
  '    raise ValueError("row asked to explode")',
  'ValueError: row asked to explode',
];

afterEach(() => vi.useRealTimers());

describe('TracebackLines', () => {
  it('makes one entry of a traceback with its introducing line, and leaves other lines alone', () => {
    expect(feed(['loading model', ...traceback, 'next line'])).toEqual(['loading model', traceback.join('\n'), 'next line']);
  });

  it('a line ending in ":" that no traceback follows stands alone; blank lines between entries are dropped', () => {
    expect(feed(['settings:', '', 'a=1'])).toEqual(['settings:', 'a=1']);
  });

  it('a traceback cut off by the end of the stream is still logged', () => {
    expect(feed(traceback.slice(1, 4))).toEqual([traceback.slice(1, 4).join('\n')]);
  });

  it('a held line is logged shortly even when nothing follows it', () => {
    vi.useFakeTimers();
    const entries: string[] = [];
    new TracebackLines((text) => entries.push(text)).push('waiting for:');
    expect(entries).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(entries).toEqual(['waiting for:']);
  });
});
