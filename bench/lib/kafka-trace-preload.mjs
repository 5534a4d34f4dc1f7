// Loaded into a gateway with NODE_OPTIONS="--import <this file>" (bench/kafka-profile.ts does):
// records every produce, offset commit, fetch and broker request of the Kafka
// client (@platformatic/kafka's diagnostics channels) with wall-clock start and
// duration, and writes them to $KAFKA_TRACE_FILE when the process exits; with
// $KAFKA_CPU_PROFILE, also a V8 CPU profile (the inspector's, as `node
// --cpu-prof` would write, which NODE_OPTIONS does not allow). Nothing in src/
// knows about it.
import { tracingChannel } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const file = process.env.KAFKA_TRACE_FILE;
const events = [];
const clock = { epochMs: Date.now(), hrUs: Number(process.hrtime.bigint() / 1000n) };

function count(result) {
  let records = 0;
  for (const r of result?.responses ?? []) for (const p of r.partitions ?? []) for (const b of p.records ?? []) records += b.records?.length ?? 0;
  return records;
}

function trace(name, describe) {
  const starts = new WeakMap();
  tracingChannel(`plt:kafka:${name}`).subscribe({
    start(ctx) { starts.set(ctx, performance.now()); },
    end() {},
    asyncStart(ctx) {
      const s = starts.get(ctx);
      if (s === undefined) return;
      starts.delete(ctx);
      events.push({ op: name, at: performance.timeOrigin + s, ms: performance.now() - s, ...describe(ctx) });
    },
    asyncEnd() {},
    error() {},
  });
}

trace('producer:sends', (ctx) => ({ records: ctx.options?.messages?.length ?? 0, client: ctx.client?.clientId }));
trace('consumer:commits', () => ({}));
trace('consumer:fetches', (ctx) => ({ records: count(ctx.result) }));
trace('connections:api', (ctx) => ({ apiKey: ctx.apiKey }));

const profileFile = process.env.KAFKA_CPU_PROFILE;
const session = profileFile ? new Session() : undefined;
if (session) {
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
}

process.on('exit', () => {
  if (file) writeFileSync(file, JSON.stringify({ clock, events }));
  // A same-thread session answers synchronously, so this completes inside 'exit'.
  session?.post('Profiler.stop', (error, result) => {
    if (!error) writeFileSync(profileFile, JSON.stringify(result.profile));
  });
});
