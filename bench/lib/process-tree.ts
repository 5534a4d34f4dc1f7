import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** One process of a tree, with its resident memory. */
export interface ProcessMemory {
  readonly pid: number;
  readonly name: string;
  readonly rssMiB: number;
}

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback; // the process exited between the listing and the read
  }
}

/** Direct children of `pid`, from /proc/<pid>/task/<tid>/children (Linux). */
export function childrenOf(pid: number): number[] {
  const tasks = `/proc/${pid}/task`;
  if (!existsSync(tasks)) return [];
  const children: number[] = [];
  for (const tid of readdirSync(tasks)) {
    for (const child of readOr(`${tasks}/${tid}/children`, '').trim().split(/\s+/)) if (child !== '') children.push(Number(child));
  }
  return children;
}

/** `pid` and all its descendants with their VmRSS, parent first; empty once it is gone. */
export function processTree(pid: number): ProcessMemory[] {
  const status = readOr(`/proc/${pid}/status`, '');
  if (status === '') return [];
  const rssKiB = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
  const name = /^Name:\s+(.+)$/m.exec(status)?.[1] ?? '?';
  const self: ProcessMemory = { pid, name, rssMiB: Math.round((rssKiB / 1024) * 10) / 10 };
  return [self, ...childrenOf(pid).flatMap(processTree)];
}
