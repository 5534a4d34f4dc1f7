import { parseArgs } from 'node:util';

/**
 * Benchmark settings: each from `--flag value`, else the environment variable,
 * else a default. Unknown flags are an error so a typo never silently runs
 * the default scenario.
 */
export class Settings {
  readonly #values: Record<string, string | undefined>;
  readonly #env: NodeJS.ProcessEnv;

  constructor(flags: readonly string[], argv: readonly string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env) {
    const options = Object.fromEntries(flags.map((flag) => [flag, { type: 'string' as const }]));
    const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
    this.#values = values as Record<string, string | undefined>;
    this.#env = env;
  }

  string(flag: string, envName: string): string | undefined {
    const value = this.#values[flag] ?? this.#env[envName];
    return value === '' ? undefined : value;
  }

  int(flag: string, envName: string, fallback: number, min = 1): number {
    return this.optionalInt(flag, envName, min) ?? fallback;
  }

  optionalInt(flag: string, envName: string, min = 1): number | undefined {
    const raw = this.string(flag, envName);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) throw new Error(`--${flag} / ${envName} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
    return value;
  }

  /** A comma-separated list of integers, e.g. `1,2,3,4`. */
  intList(flag: string, envName: string, fallback: readonly number[]): number[] {
    const raw = this.string(flag, envName);
    if (raw === undefined) return [...fallback];
    const list = raw.split(',').map((part) => Number(part.trim()));
    if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--${flag} / ${envName} must be a list like 1,2,4, got ${JSON.stringify(raw)}`);
    return list;
  }

  /** A number (fractions allowed), e.g. MLServer's `max_batch_time` in seconds. */
  optionalNumber(flag: string, envName: string, min = 0): number | undefined {
    const raw = this.string(flag, envName);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min) throw new Error(`--${flag} / ${envName} must be a number >= ${min}, got ${JSON.stringify(raw)}`);
    return value;
  }

  /** `true`/`false` (also `1`/`0`, `yes`/`no`). */
  bool(flag: string, envName: string, fallback: boolean): boolean {
    const raw = this.string(flag, envName);
    if (raw === undefined) return fallback;
    if (['true', '1', 'yes'].includes(raw)) return true;
    if (['false', '0', 'no'].includes(raw)) return false;
    throw new Error(`--${flag} / ${envName} must be true or false, got ${JSON.stringify(raw)}`);
  }

  /** A comma-separated list of names, each one of `allowed`. */
  names<T extends string>(flag: string, envName: string, allowed: readonly T[], fallback: readonly T[]): T[] {
    const raw = this.string(flag, envName);
    if (raw === undefined) return [...fallback];
    const list = raw.split(',').map((part) => part.trim()).filter(Boolean);
    const unknown = list.filter((name) => !(allowed as readonly string[]).includes(name));
    if (list.length === 0 || unknown.length > 0) throw new Error(`--${flag} / ${envName}: ${unknown.length ? `unknown ${unknown.join(', ')}; ` : ''}choose from ${allowed.join(', ')}`);
    return list as T[];
  }
}
