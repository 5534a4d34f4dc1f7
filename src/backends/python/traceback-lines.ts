const TRACEBACK_START = 'Traceback (most recent call last):';
/** A traceback longer than this is logged in parts rather than held back. */
const MAX_TRACEBACK_LINES = 200;
/** A held line is logged at the latest this long after it arrived, even when nothing follows it. */
const HOLD_MS = 100;

const isIndented = (line: string): boolean => /^\s/.test(line);

/**
 * Joins the lines of a Python traceback, as a worker prints it on stderr, into
 * one log entry: an introducing line ending in `:` (`batch 3: predict()
 * raised:`), `Traceback (most recent call last):`, its indented frames, and
 * the exception line, the first one not indented. Every other line passes
 * through on its own; blank lines between entries are dropped. One entry per
 * error keeps a log readable and searchable, instead of one entry, with all
 * its fields, per line of the traceback.
 */
export class TracebackLines {
  readonly #emit: (text: string) => void;
  #held: string[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(emit: (text: string) => void) {
    this.#emit = emit;
  }

  push(line: string): void {
    if (this.#held.length === 0) {
      if (line.startsWith(TRACEBACK_START) || line.trimEnd().endsWith(':')) this.#hold(line);
      else if (line.trim() !== '') this.#emit(line);
      return;
    }
    const inTraceback = this.#held.some((held) => held.startsWith(TRACEBACK_START));
    if (!inTraceback) {
      // Only an introducing line is held: it joins a traceback that follows, else stands alone.
      if (line.startsWith(TRACEBACK_START)) this.#held.push(line);
      else {
        this.flush();
        this.push(line);
      }
      return;
    }
    this.#held.push(line);
    if (!isIndented(line) || this.#held.length >= MAX_TRACEBACK_LINES) this.flush();
  }

  /** Emits what is held (the stream ended, or nothing followed in time). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#held.length === 0) return;
    const text = this.#held.join('\n');
    this.#held = [];
    this.#emit(text);
  }

  #hold(line: string): void {
    this.#held.push(line);
    this.#timer = setTimeout(() => this.flush(), HOLD_MS);
    this.#timer.unref();
  }
}
