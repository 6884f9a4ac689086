// `npm run bench`: a local testnet of real node processes, the same broadcasts through each
// strategy, one table side by side. Figures, not assertions: docs/benchmarks.md.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { StrategyName } from '../node/index.js';
import { createAnalyzer, loadEvents, readRunMeta } from '../orchestrator/checker/index.js';
import { connectRunClient, down, openRun, report, resolveManifest, sendBroadcast, up, type OpenRun } from '../orchestrator/index.js';
import { floorMsPerHop, readCpuSeconds, renderTable, type BenchRow } from './common.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '64' },
    broadcasts: { type: 'string', default: '200' },
    strategies: { type: 'string', default: 'tree,ring,gossip' },
    'base-port': { type: 'string', default: '27100' },
    /** One-way latency applied to every link from the start (userspace shaper; docs/impairment.md). */
    latency: { type: 'string', default: '0' },
    json: { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  process.stdout.write('usage: npm run bench -- [--nodes 64] [--broadcasts 200] [--strategies tree,ring,gossip] [--base-port 27100] [--latency MS] [--json FILE]\n');
  process.exit(0);
}
const nodes = Number(values.nodes);
const perStrategy = Number(values.broadcasts);
const strategies = values.strategies.split(',') as StrategyName[];
const log = (s: string): void => void process.stderr.write(s + '\n');
/** Idle CPU (timers, anti-entropy rounds) is sampled this long and reported apart. */
const IDLE_SAMPLE_MS = 5000;

async function measure(run: OpenRun, strategy: StrategyName): Promise<{ cpuMs: number; wallMs: number }> {
  const rc = await connectRunClient(run);
  const cpuBefore = await readCpuSeconds(run);
  const t0 = performance.now();
  try {
    for (let i = 0; i < perStrategy; i++) {
      await sendBroadcast(run, rc, `bench ${strategy} ${i}`, { strategy, timeoutMs: 30_000 });
      if ((i + 1) % 50 === 0) log(`  ${strategy}: ${i + 1}/${perStrategy}`);
    }
  } finally {
    await rc.client.close();
  }
  const wallMs = performance.now() - t0;
  const cpuAfter = await readCpuSeconds(run);
  return { cpuMs: (cpuAfter - cpuBefore) * 1000, wallMs };
}

async function main(): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'spinoza-bench-'));
  const latencyMs = Number(values.latency);
  const manifest = resolveManifest({
    nodes, basePort: Number(values['base-port']), seed: 'bench',
    ...(latencyMs > 0 && { impairment: { profiles: { wan: { latencyMs } }, initial: 'wan' } }),
  });
  const cpu = new Map<StrategyName, { cpuMs: number; wallMs: number }>();
  let runDir = '';
  let idleMsPerNodePerSec = 0;
  const warmUp = new Set<string>();
  try {
    log(`starting ${nodes} node processes…`);
    const started = await up({ home, manifest, onProgress: (p) => p.phase === 'waiting' && p.ready === p.total && log(`  ${p.total} healthy`) });
    runDir = started.runDir;
    const run = await openRun(home);
    // Warm-up, not measured: every strategy from every entry, so links between nodes are open
    // (a new link costs a signed handshake) before anything is timed.
    log('warm-up: opening links');
    for (const id of run.record.live) {
      const rc = await connectRunClient(run, id);
      try {
        for (const s of strategies) warmUp.add((await sendBroadcast(run, rc, `warm-up ${s} via ${id}`, { strategy: s, timeoutMs: 30_000 })).id);
      } finally {
        await rc.client.close();
      }
    }
    const c0 = await readCpuSeconds(run);
    await new Promise((r) => setTimeout(r, IDLE_SAMPLE_MS));
    idleMsPerNodePerSec = ((await readCpuSeconds(run)) - c0) * 1000 / run.record.live.length / (IDLE_SAMPLE_MS / 1000);
    for (const s of strategies) {
      log(`${s}: ${perStrategy} broadcasts`);
      cpu.set(s, await measure(run, s));
    }
  } finally {
    await down({ home }).catch(() => undefined);
  }
  await report({ runDir }); // report.json/html of the whole run, warm-up included
  // The table counts only the timed broadcasts: the warm-up's ids are left out of the analysis.
  const meta = await readRunMeta(runDir);
  const analyzer = createAnalyzer(meta);
  const input = await loadEvents(join(runDir, 'events'), (e) => { if (!('id' in e && warmUp.has(e.id))) analyzer.add(e); }, meta.live);
  const r = analyzer.finish(input);
  const rows: BenchRow[] = strategies.map((s) => {
    const g = r.strategies.find((x) => x.strategy === s);
    const c = cpu.get(s)!;
    return {
      strategy: s,
      deliveryRatio: g?.deliveryRatio ?? null,
      p50: g?.lastNodeMs.p50 ?? null,
      p99: g?.lastNodeMs.p99 ?? null,
      duplicatesPerDelivery: g?.duplicatesPerDelivery ?? null,
      cpuMsPerBroadcastPerNode: c.cpuMs / perStrategy / r.run.live.length,
      cpuMsPerBroadcastPerNodeNet: (c.cpuMs - (idleMsPerNodePerSec * r.run.live.length * c.wallMs) / 1000) / perStrategy / r.run.live.length,
      messagesPerBroadcast: g?.messagesPerBroadcast ?? null,
      bytesPerBroadcast: g?.bytesPerBroadcast ?? null,
      broadcastsPerSecond: perStrategy / (c.wallMs / 1000),
    };
  });
  process.stdout.write(`\nspinoza bench: ${nodes} node processes on 127.0.0.1, ${perStrategy} broadcasts per strategy, sequential`
    + (latencyMs > 0 ? `, ${latencyMs} ms one-way latency on every link (userspace mode, probed at up)` : '') + '\n');
  process.stdout.write(renderTable(rows));
  process.stdout.write(`idle CPU per node (anti-entropy rounds, timers): ${idleMsPerNodePerSec.toFixed(2)} ms/s; 'net' columns subtract it\n`);
  process.stdout.write(`crypto floor per node per broadcast (1 verify + 1 sign, node:crypto): ${floorMsPerHop().toFixed(3)} ms\n`);
  process.stdout.write(`report: ${join(runDir, 'report.html')}\n`);
  if (values.json) await writeFile(values.json, JSON.stringify({ nodes, perStrategy, rows, floorMs: floorMsPerHop() }, null, 2) + '\n');
  await rm(home, { recursive: true, force: true }).catch(() => undefined);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
