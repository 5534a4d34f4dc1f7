import type { OpenLoopResult } from './open-loop.js';
import type { RunResult } from './run-result.js';

/** One target of issue 3, measured in one run. */
export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  /** null: the scenario that measures it did not run. */
  readonly met: boolean | null;
}

const ratio = (a: number | undefined, b: number | undefined): number | undefined => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);
const x = (v: number | undefined): string => (v === undefined ? 'not measured' : `${v.toFixed(v < 10 ? 2 : 1)}x`);

/** An open loop's accepted p99 against the objective; `note` follows the figure. */
function p99Check(target: string, open: OpenLoopResult | undefined, objectiveMs: number, note = ''): TargetCheck {
  return {
    target,
    measured: open ? `${open.okLatencyMs.p99.toFixed(1)} ms${note}` : 'not measured',
    met: open ? open.ok > 0 && open.okLatencyMs.p99 <= objectiveMs : null,
  };
}

/** An open loop's refusals answered within 5 ms (p99). With nothing refused there was no excess to refuse: neither met nor missed. */
function refusalCheck(target: string, open: OpenLoopResult | undefined, noneRefused: string): TargetCheck {
  return {
    target,
    measured: open ? (open.refused === 0 ? noneRefused : `p99 ${open.refusedLatencyMs.p99.toFixed(2)} ms, p50 ${open.refusedLatencyMs.p50.toFixed(2)} ms`) : 'not measured',
    met: open && open.refused > 0 ? open.refusedLatencyMs.p99 <= 5 : null,
  };
}

/** The targets of issue 3 against this run's figures (ratios between systems measured side by side). */
export function checkTargets(run: RunResult): TargetCheck[] {
  const peak = (name: string) => run.peak?.find((r) => r.system === name);
  const gateway = peak('gateway');
  const naive = peak('naive');
  const mlserver = peak('mlserver');
  const ceiling = peak('ceiling');
  const checks: TargetCheck[] = [];

  const vsNaive = ratio(gateway?.okPerSec, naive?.okPerSec);
  checks.push({ target: 'gateway / naive ≥ 50x req/s', measured: x(vsNaive), met: vsNaive === undefined ? null : vsNaive >= 50 });
  const vsMl = ratio(gateway?.okPerSec, mlserver?.okPerSec);
  const p99 = gateway && mlserver ? `, p99 ${gateway.latencyMs.p99} vs ${mlserver.latencyMs.p99} ms` : '';
  checks.push({
    target: 'gateway / MLServer ≥ 5x req/s at equal or lower p99',
    measured: `${x(vsMl)}${p99}`,
    met: vsMl === undefined ? null : vsMl >= 5 && gateway!.latencyMs.p99 <= mlserver!.latencyMs.p99,
  });
  const vsCeiling = ratio(gateway?.okPerSec, ceiling?.okPerSec);
  checks.push({ target: 'gateway / ceiling ≥ 0.35', measured: vsCeiling === undefined ? 'not measured' : vsCeiling.toFixed(2), met: vsCeiling === undefined ? null : vsCeiling >= 0.35 });
  const v2 = peak('gateway-v2');
  const vsV2 = ratio(v2?.okPerSec, gateway?.okPerSec);
  checks.push({
    target: 'gateway V2 route / its /predict (same rows, same client; issue 12 reports it)',
    measured: vsV2 === undefined ? 'not measured' : `${vsV2.toFixed(2)}, p99 ${v2!.latencyMs.p99} vs ${gateway!.latencyMs.p99} ms`,
    met: null,
  });
  const vsMlV2 = ratio(v2?.okPerSec, mlserver?.okPerSec);
  checks.push({ target: 'gateway V2 / MLServer V2 req/s (the protocol both speak)', measured: x(vsMlV2), met: null });
  const clean = gateway ? gateway.errors + gateway.timeouts + gateway.non2xx : undefined;
  checks.push({ target: 'gateway peak: no errors, no non-2xx', measured: clean === undefined ? 'not measured' : `${clean}`, met: clean === undefined ? null : clean === 0 });

  const over = run.overload?.find((r) => r.system === 'gateway');
  const goodput = ratio(over?.okPerSec, gateway?.okPerSec);
  checks.push({ target: 'overload at 2x: goodput ≥ 90 % of peak', measured: goodput === undefined ? 'not measured' : `${(goodput * 100).toFixed(0)} %`, met: goodput === undefined ? null : goodput >= 0.9 });
  checks.push(
    p99Check(`overload: p99 of accepted ≤ objective (${run.objectiveMs} ms)`, over, run.objectiveMs, over?.objectiveFeasible === false ? ' (objective infeasible on this machine during the run)' : ''),
  );
  const side = over?.gatewaySide;
  checks.push({
    target: `overload, the gateway's own clock: answered later than the objective (the p99 target is 1 % or less)`,
    measured: side?.overObjective == null ? 'not measured' : `${(side.overObjective * 100).toFixed(1)} % (queue wait over half the objective: ${side.queueOverHalf == null ? '?' : (side.queueOverHalf * 100).toFixed(1)} %)`,
    met: null,
  });
  checks.push(refusalCheck('overload: refusals answered within 5 ms (p99)', over, 'none refused: every request was served'));

  // Past capacity (issue 14): the same three promises, against the closed loop of the same requests.
  const batched = run.overloadBatched;
  const k = batched ? `${batched.rowsPerRequest}-row requests` : '';
  checks.push({
    target: `overload past capacity (${k || 'multi-row requests'} at 2x their closed loop): goodput ≥ 90 % of that closed loop`,
    measured: batched ? `${(batched.ofPeak * 100).toFixed(0)} % (${(batched.refusedShare * 100).toFixed(1)} % refused)` : 'not measured',
    met: batched ? batched.ofPeak >= 0.9 : null,
  });
  checks.push(
    p99Check(
      `overload past capacity: p99 of accepted ≤ objective (${run.objectiveMs} ms)`,
      batched?.open,
      run.objectiveMs,
      batched &&
        ` (p50 ${batched.open.okLatencyMs.p50.toFixed(1)} ms; the closed loop's own p99 ${batched.peak.latencyMs.p99} ms)${batched.objectiveFeasible === false ? ', objective infeasible at the end' : ''}`,
    ),
  );
  checks.push(refusalCheck('overload past capacity: refusals answered within 5 ms (p99)', batched?.open, 'none refused'));

  for (const scenario of ['busy-machine', 'slow-model', 'batched-clients'] as const) {
    const measured = run.robustness?.find((r) => r.scenario === scenario);
    checks.push({
      target: `${scenario}: goodput with the objective ≥ 0.9 × without (issue 14)`,
      measured: measured ? `${measured.goodputRatio.toFixed(2)} (${(measured.refusedShare * 100).toFixed(1)} % refused)` : 'not measured',
      met: measured ? measured.goodputRatio >= 0.9 : null,
    });
  }

  // Issue 10: the ONNX runtime beside the Python one, MLServer and the ceiling, same rows, same run.
  const onnx = peak('gateway-onnx');
  const onnxVsPython = ratio(onnx?.okPerSec, gateway?.okPerSec);
  checks.push({ target: 'gateway-onnx / gateway-python ≥ 4x req/s (issue 10)', measured: x(onnxVsPython), met: onnxVsPython === undefined ? null : onnxVsPython >= 4 });
  const onnxVsMl = ratio(onnx?.okPerSec, mlserver?.okPerSec);
  checks.push({ target: 'gateway-onnx / MLServer ≥ 10x req/s (issue 10)', measured: x(onnxVsMl), met: onnxVsMl === undefined ? null : onnxVsMl >= 10 });
  const onnxVsCeiling = ratio(onnx?.okPerSec, ceiling?.okPerSec);
  checks.push({ target: 'gateway-onnx / ceiling ≥ 0.35 (issue 10)', measured: onnxVsCeiling === undefined ? 'not measured' : onnxVsCeiling.toFixed(2), met: onnxVsCeiling === undefined ? null : onnxVsCeiling >= 0.35 });
  const lowOnnx = run.lowLoad?.runs.find((r) => r.system === 'gateway-onnx');
  checks.push({
    target: 'low load, gateway-onnx: p50 added over the in-process ONNX call ≤ 0.5 ms (issue 10)',
    measured: lowOnnx?.addedP50Ms != null ? `${lowOnnx.addedP50Ms.toFixed(2)} ms` : 'not measured',
    met: lowOnnx?.addedP50Ms != null ? lowOnnx.addedP50Ms <= 0.5 : null,
  });

  const low = run.lowLoad?.runs.find((r) => r.system === 'gateway');
  checks.push({
    target: 'low load: p50 added latency ≤ 1 ms',
    measured: low?.addedP50Ms != null ? `${low.addedP50Ms.toFixed(2)} ms` : 'not measured',
    met: low?.addedP50Ms != null ? low.addedP50Ms <= 1 : null,
  });
  return checks;
}
