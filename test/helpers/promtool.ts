import { spawnSync } from 'node:child_process';

/** True when `promtool` (Prometheus's own linter) can be run. */
export function hasPromtool(): boolean {
  return spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Installs promtool (Debian package `prometheus`) when it is missing and this
 * runs as root with apt-get, as the test machines do; never prompts and never
 * fails the run: the metrics lint test skips, saying why, when it is absent.
 */
export function ensurePromtool(log: (message: string) => void): void {
  if (hasPromtool()) return;
  if (process.getuid?.() !== 0 || spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) return;
  log('installing promtool (Debian package prometheus) for the /metrics lint test');
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'prometheus'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
  // A fresh machine may have no package lists yet.
  if (!install()) {
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
    install();
  }
}
