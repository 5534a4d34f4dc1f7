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

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value;
}

function reasonOf(issue: IssueLike): string {
  switch (issue.code) {
    case 'invalid_type': {
      const received = /received (-?\w+)/.exec(issue.message)?.[1] ?? (issue.input === undefined ? undefined : describe(issue.input));
      if (received === 'undefined') return 'is required';
      // z.coerce.number() turns text like "abc" into NaN before checking it.
      if (received === 'NaN') return `must be a ${String(issue.expected)}`;
      return `must be ${String(issue.expected)}${received ? `, got ${received}` : ''}`;
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
    case 'invalid_value':
      return `must be one of ${(issue.values ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return issue.message;
  }
}

/** Zod issues as field + reason pairs, the shape every error body uses. */
export function formatIssues(issues: readonly IssueLike[]): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of issues) {
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
