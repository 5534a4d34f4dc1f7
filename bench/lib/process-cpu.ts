import { readFileSync } from 'node:fs';
import { childrenOf, processTree } from './process-tree.js';

// USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every Linux the bench runs on.
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) `pid` has used so far, from /proc/<pid>/stat; 0 once it is gone. */
export function cpuSecondsOf(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 0;
  }
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** `pid` and its descendants, parent first. */
export function descendantsOf(pid: number): number[] {
  return [pid, ...childrenOf(pid).flatMap(descendantsOf)];
}

/**
 * CPU and memory of a process tree over a measured window: CPU as the sum of
 * each process's seconds (a process that exits mid-window, e.g. a killed
 * worker, counts up to its last sample), memory as the
 * peak of the tree's summed RSS, sampled every `everyMs`.
 */
export class TreeUsage {
  readonly #pid: number;
  readonly #start = new Map<number, number>();
  readonly #last = new Map<number, number>();
  #peakRssMiB = 0;
  #timer: NodeJS.Timeout;
  #startedAt = performance.now();

  constructor(pid: number, everyMs = 250) {
    this.#pid = pid;
    for (const p of descendantsOf(pid)) this.#start.set(p, cpuSecondsOf(p));
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), everyMs);
  }

  #sample(): void {
    let rss = 0;
    for (const p of processTree(this.#pid)) {
      rss += p.rssMiB;
      const cpu = cpuSecondsOf(p.pid);
      if (cpu > 0) this.#last.set(p.pid, cpu); // 0: it exited between the listing and the read
    }
    this.#peakRssMiB = Math.max(this.#peakRssMiB, rss);
  }

  /** Stops sampling: CPU seconds used in the window, the cores that is on average (the top process's and the rest's too), and the peak RSS. */
  stop(): { cpuSeconds: number; cores: number; peakRssMiB: number; processes: number; rootCpuSeconds: number; rootCores: number; childCores: number } {
    this.#sample();
    clearInterval(this.#timer);
    const seconds = (performance.now() - this.#startedAt) / 1000;
    let cpu = 0;
    for (const [p, last] of this.#last) cpu += last - (this.#start.get(p) ?? 0);
    const root = (this.#last.get(this.#pid) ?? 0) - (this.#start.get(this.#pid) ?? 0);
    // rootCpuSeconds: the top process alone (the gateway's Node process, Jet's JVM); the rest is Python.
    return {
      cpuSeconds: round2(cpu),
      cores: round2(cpu / seconds),
      peakRssMiB: Math.round(this.#peakRssMiB),
      processes: this.#last.size,
      rootCpuSeconds: round2(root),
      rootCores: round2(root / seconds),
      childCores: round2((cpu - root) / seconds),
    };
  }
}

const round2 = (v: number): number => Math.round(v * 100) / 100;
