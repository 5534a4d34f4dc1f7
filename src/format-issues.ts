import type { FieldIssue } from './errors.js';

/** The parts of a zod issue this module reads; kept loose so any zod issue fits. */
interface IssueLike {
  readonly code?: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly expected?: unknown;
  readonly origin?: unknown;
  readonly minimum?: unknown;
  readonly maximum?: unknown;
  readonly inclusive?: boolean;
  readonly keys?: readonly string[];
  readonly values?: readonly unknown[];
  readonly input?: unknown;
  readonly discriminator?: unknown;
  readonly options?: readonly unknown[];
}

/** `['instances', 3, 'age']` → `instances[3].age`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  // An empty key (`{"": 1}`) is a field too; only an empty path is the body itself.
  return path.length === 0 ? '(body)' : out;
}

/** What a value is, for "got …": its JSON type (or NaN / ±Infinity). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value;
}

/** The reason for a value where an integer belongs: the number itself when it is one (a fraction), else its type. */
export function integerReason(input: unknown): string {
  return `must be integer, got ${typeof input === 'number' && Number.isFinite(input) ? String(input) : describe(input)}`;
}

function reasonOf(issue: IssueLike): string {
  switch (issue.code) {
    case 'invalid_type': {
      // A schema's own message (row-schema's integer fields) is already a reason.
      if (!issue.message.startsWith('Invalid input')) return issue.message;
      const received = /received (-?\w+)/.exec(issue.message)?.[1] ?? (issue.input === undefined ? undefined : describe(issue.input));
      if (received === 'undefined') return 'is required';
      // z.coerce.number() turns text like "abc" into NaN before checking it.
      if (received === 'NaN') return `must be a ${String(issue.expected)}`;
      // zod's z.int() expects "int"; the manifest (JSON Schema) calls it "integer".
      const expected = issue.expected === 'int' ? 'integer' : String(issue.expected);
      // A fraction where an integer belongs: the number says more than "got number".
      if (expected === 'integer' && typeof issue.input === 'number') return integerReason(issue.input);
      return `must be ${expected}${received ? `, got ${received}` : ''}`;
    }
    case 'too_small': {
      const op = issue.inclusive === false ? '>' : '>=';
      if (issue.origin === 'string') return `must be at least ${String(issue.minimum)} characters long`;
      if (issue.origin === 'array') return `must hold at least ${String(issue.minimum)} items`;
      return `must be ${op} ${String(issue.minimum)}`;
    }
    case 'too_big': {
      const op = issue.inclusive === false ? '<' : '<=';
      if (issue.origin === 'string') return `must be at most ${String(issue.maximum)} characters long`;
      if (issue.origin === 'array') return `must hold at most ${String(issue.maximum)} items`;
      return `must be ${op} ${String(issue.maximum)}`;
    }
    case 'invalid_union': {
      // A discriminated union (the manifest's field `type`) that matched no
      // option; `input` is the object holding the discriminator when the
      // parse was asked to report it.
      if (typeof issue.discriminator !== 'string' || issue.options === undefined) return issue.message;
      const options = issue.options.map((v) => JSON.stringify(v)).join(', ');
      const input = issue.input;
      const value = typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[issue.discriminator] : undefined;
      return value === undefined ? `is required: one of ${options}` : `must be one of ${options}, got ${JSON.stringify(value)}`;
    }
    case 'invalid_value':
      return `must be one of ${(issue.values ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return issue.message;
  }
}

/** Zod issues as field + reason pairs, the shape every error body uses. */
export function formatIssues(issues: readonly IssueLike[]): FieldIssue[] {
  const out: FieldIssue[] = [];
  // zod still runs a schema's checks on a value of the wrong type when they
  // apply to it (an array's minimum length on a string), so a field with the
  // wrong type would also get a reason that makes no sense for it.
  const wrongType = new Set(issues.filter((issue) => issue.code === 'invalid_type').map((issue) => formatPath(issue.path)));
  for (const issue of issues) {
    if (issue.code !== 'invalid_type' && wrongType.has(formatPath(issue.path))) continue;
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      for (const key of issue.keys) {
        out.push({ field: formatPath([...issue.path, key]), reason: 'is not a known field' });
      }
      continue;
    }
    out.push({ field: formatPath(issue.path), reason: reasonOf(issue) });
  }
  return out;
}
