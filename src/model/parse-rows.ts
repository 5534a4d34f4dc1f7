import type { z } from 'zod';
import { MAX_REPORTED_ISSUES, type FieldIssue } from '../errors.js';
import { formatIssues } from '../format-issues.js';
import type { Row } from './row-schema.js';

/** Where an issue of row `index` sits in the body, e.g. `['instances', 3, 'age']`. */
export type LocateIssue = (path: readonly PropertyKey[], index: number) => PropertyKey[];

/** The rows as parsed, or the issues found before checking stopped. */
export type ParsedRows = { readonly rows: Row[] } | { readonly issues: FieldIssue[] };

/**
 * Parses rows one at a time with a row schema and stops at the row that brings
 * the issues to {@link MAX_REPORTED_ISSUES}: an error lists no more than that,
 * and building the issues of thousands of bad rows only to drop them would
 * make rejecting a body cost many times more than accepting one of the same
 * size (zod builds each issue's path and message eagerly).
 */
export function parseRows(schema: z.ZodType, rows: readonly unknown[], locate: LocateIssue): ParsedRows {
  const out = new Array<Row>(rows.length);
  const issues: FieldIssue[] = [];
  for (let index = 0; index < rows.length; index++) {
    const parsed = schema.safeParse(rows[index]);
    if (parsed.success) {
      out[index] = parsed.data as Row;
      continue;
    }
    issues.push(...formatIssues(parsed.error.issues.map((issue) => ({ ...issue, path: locate(issue.path, index) }))));
    if (issues.length >= MAX_REPORTED_ISSUES) break;
  }
  return issues.length > 0 ? { issues } : { rows: out };
}
