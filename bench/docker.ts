// `npm run bench:docker -- --nodes 200`: a testnet of node containers through the docker backend,
// broadcasts through the trusted client, then figures: time to healthy, memory per container,
// delivery, latency to the last node, duplicates. Tears down always. Figures: docs/docker.md.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import type { StrategyName } from '../node/index.js';
import { dockerBackend } from '../orchestrator/backends/docker.js';
import { LABEL_RUN } from '../orchestrator/backends/docker/engine.js';
import { checkRun, createAnalyzer, loadEvents, readRunMeta, type GroupStats } from '../orchestrator/checker/index.js';
import { connectRunClient, down, openRun, resolveManifest, sendBroadcast, up } from '../orchestrator/index.js';
import { readCpuSeconds } from './common.js';
import { containerMemory, mean, sampleHost, type HostSample } from './docker/host.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '200' },
    broadcasts: { type: 'string', default: '100' },
    'warm-up': { type: 'string', default: '5' },
    strategy: { type: 'string', default: 'tree' },
    image: { type: 'string' },
    concurrency: { type: 'string', default: '8' },
    json: { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  process.stdout.write('usage: npm run bench:docker -- [--nodes 200] [--broadcasts 100] [--warm-up 5] [--strategy tree] [--image spinoza/node:local] [--concurrency 8] [--json FILE]\n');
  process.exit(0);
}
const nodes = Number(values.nodes);
const broadcasts = Number(values.broadcasts);
const warmUps = Number(values['warm-up']);
const strategy = values.strategy as StrategyName;
const log = (s: string): void => void process.stderr.write(s + '\n');
const MB = 2 ** 20;
/** Idle node CPU (timers, anti-entropy) is sampled this long before the timed broadcasts. */
const IDLE_SAMPLE_MS = 5_000;

interface Figures {
  nodes: number;
  broadcasts: number;
  strategy: string;
  containersStartedMs: number;
  upToHealthyMs: number;
  downMs: number;
  memoryPerContainerMB: { mean: number; max: number; hostMean: number };
  host: { before: HostSample; loaded: HostSample };
  /** Node CPU (process_cpu_seconds_total over all nodes), idle and per timed broadcast, per node. */
  cpu: { idleMsPerNodePerSec: number; msPerBroadcastPerNode: number; broadcastsPerSecond: number };
  clientDelivered: number;
  clientExpected: number;
  invalidProofs: number;
  timed: Pick<GroupStats, 'deliveryRatio' | 'lastNodeMs' | 'duplicatesPerDelivery' | 'messagesPerBroadcastPerNode'>;
  all: Pick<GroupStats, 'messages' | 'deliveryRatio' | 'lastNodeMs' | 'duplicatesPerDelivery'>;
}

async function main(): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'spinoza-bench-docker-'));
  const docker = new Docker();
  const backend = dockerBackend({ docker, startConcurrency: Number(values.concurrency), ...(values.image && { image: values.image }) });
  const manifest = resolveManifest({ nodes, strategy, seed: 'bench-docker', backend: 'docker' });
  const before = sampleHost();
  const warm = new Set<string>();
  let runDir = '';
  let startedAt = 0;
  const f: Partial<Figures> = { nodes, broadcasts, strategy, clientDelivered: 0, clientExpected: 0, invalidProofs: 0 };
  const t0 = performance.now();
  try {
    log(`up: ${nodes} containers…`);
    const r = await up({
      home, manifest, backend,
      onProgress: (p) => {
        if (p.phase === 'image') log(`  image: ${p.step}`);
        if (p.phase === 'starting' && p.started === p.total && !startedAt) startedAt = performance.now();
        if (p.phase === 'starting' && p.started % 50 === 0 && p.started > 0) log(`  started ${p.started}/${p.total}`);
      },
    });
    f.upToHealthyMs = Math.round(performance.now() - t0);
    f.containersStartedMs = Math.round(startedAt - t0);
    runDir = r.runDir;
    log(`  all ${r.live.length} healthy after ${(f.upToHealthyMs / 1000).toFixed(1)} s`);
    const run = await openRun(home);
    const rc = await connectRunClient(run);
    try {
      // Warm-up, left out of the timed figures: the first broadcasts open the links between nodes.
      for (let i = 0; i < warmUps; i++) warm.add((await sendBroadcast(run, rc, `warm-up ${i}`, { timeoutMs: 60_000 })).id);
      const idle0 = await readCpuSeconds(run);
      await new Promise((done) => setTimeout(done, IDLE_SAMPLE_MS));
      const cpu0 = await readCpuSeconds(run);
      const t1 = performance.now();
      for (let i = 0; i < broadcasts; i++) {
        const b = await sendBroadcast(run, rc, `bench ${i}`, { timeoutMs: 60_000 });
        f.clientDelivered! += b.delivered;
        f.clientExpected! += b.expected;
        if (!b.proofValid) f.invalidProofs!++;
        if ((i + 1) % 25 === 0) log(`  broadcast ${i + 1}/${broadcasts}`);
      }
      const wallS = (performance.now() - t1) / 1000;
      const live = run.record.live.length;
      const idleMsPerNodePerSec = ((cpu0 - idle0) * 1000) / live / (IDLE_SAMPLE_MS / 1000);
      f.cpu = {
        idleMsPerNodePerSec,
        msPerBroadcastPerNode: (((await readCpuSeconds(run)) - cpu0) * 1000) / broadcasts / live,
        broadcastsPerSecond: broadcasts / wallS,
      };
    } finally {
      await rc.client.close();
    }
    const list = await docker.listContainers({ filters: { label: [`${LABEL_RUN}=${r.runId}`] } });
    const mem = await containerMemory(docker, list.map((c) => c.Id));
    const loaded = sampleHost();
    f.host = { before, loaded };
    f.memoryPerContainerMB = {
      mean: mean(mem) / MB,
      max: Math.max(...mem) / MB,
      hostMean: (before.memAvailableBytes - loaded.memAvailableBytes) / list.length / MB,
    };
  } finally {
    const t1 = performance.now();
    await down({ home }).catch((e: unknown) => log(`down failed: ${(e as Error).message}`));
    f.downMs = Math.round(performance.now() - t1);
  }
  const all = (await checkRun(runDir)).totals;
  const meta = await readRunMeta(runDir);
  const analyzer = createAnalyzer(meta);
  const input = await loadEvents(join(runDir, 'events'), (e) => { if (!('id' in e && warm.has(e.id))) analyzer.add(e); }, meta.live);
  const timed = analyzer.finish(input).totals;
  f.all = { messages: all.messages, deliveryRatio: all.deliveryRatio, lastNodeMs: all.lastNodeMs, duplicatesPerDelivery: all.duplicatesPerDelivery };
  f.timed = { deliveryRatio: timed.deliveryRatio, lastNodeMs: timed.lastNodeMs, duplicatesPerDelivery: timed.duplicatesPerDelivery,
    messagesPerBroadcastPerNode: timed.messagesPerBroadcastPerNode };
  const figures = f as Figures;
  process.stdout.write(renderFigures(figures));
  const out = values.json ?? join(runDir, 'bench-docker.json');
  await writeFile(out, JSON.stringify(figures, null, 2) + '\n');
  process.stdout.write(`json: ${out}\n`);
  if (values.json) await rm(home, { recursive: true, force: true });
}

function renderFigures(f: Figures): string {
  const n = (v: number | null | undefined, d = 0): string => (v === null || v === undefined ? '–' : v.toFixed(d));
  const pct = (v: number | null): string => (v === null ? '–' : `${(Math.floor(v * 10_000) / 100).toFixed(2)}%`);
  const rows: [string, string][] = [
    ['containers started', `${n(f.containersStartedMs / 1000, 1)} s`],
    ['up → all healthy', `${n(f.upToHealthyMs / 1000, 1)} s`],
    ['memory per container (docker stats)', `mean ${n(f.memoryPerContainerMB.mean, 1)} MB · max ${n(f.memoryPerContainerMB.max, 1)} MB`],
    ['host memory per container (MemAvailable)', `${n(f.memoryPerContainerMB.hostMean, 1)} MB`],
    ['delivery (checker, timed)', pct(f.timed.deliveryRatio)],
    ['delivery (client proofs)', `${f.clientDelivered}/${f.clientExpected} · invalid proofs ${f.invalidProofs}`],
    ['latency to last node p50 / p99 / max', `${n(f.timed.lastNodeMs.p50)} / ${n(f.timed.lastNodeMs.p99)} / ${n(f.timed.lastNodeMs.max)} ms`],
    ['duplicates per delivery', n(f.timed.duplicatesPerDelivery, 3)],
    ['messages per broadcast per node', n(f.timed.messagesPerBroadcastPerNode, 2)],
    ['node CPU per broadcast per node (incl. idle)', `${n(f.cpu.msPerBroadcastPerNode, 2)} ms · ${n(f.cpu.broadcastsPerSecond, 1)} broadcasts/s`],
    ['idle node CPU per node', `${n(f.cpu.idleMsPerNodePerSec, 2)} ms/s`],
    ['all broadcasts incl. warm-up: p50 / p99', `${n(f.all.lastNodeMs.p50)} / ${n(f.all.lastNodeMs.p99)} ms (${f.all.messages} msgs, ${pct(f.all.deliveryRatio)})`],
    ['neighbour entries / tasks / dockerd fds (loaded)', `${f.host.loaded.neighbourEntries ?? '–'} / ${f.host.loaded.tasks ?? '–'} / ${f.host.loaded.dockerdFds ?? '–'}`],
    ['  before up', `${f.host.before.neighbourEntries ?? '–'} / ${f.host.before.tasks ?? '–'} / ${f.host.before.dockerdFds ?? '–'}`],
    ['down', `${n(f.downMs / 1000, 1)} s`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return `\nspinoza bench:docker — ${f.nodes} containers, ${f.broadcasts} ${f.strategy} broadcasts (+${warmUps} warm-up), sequential\n` +
    rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n') + '\n';
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
