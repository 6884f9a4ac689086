// Kernel mode against the real engine: the preflight reports what this kernel has and the mode selection
// follows it; a real HTB plan (and a TBF) applied inside a running container through the privileged
// helper, seen with `tc ... show` (through another helper), enforcing a partition, then cleared.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImpairmentProfile } from '../../node/impairment/profile.js';
import { LABEL_RUN } from '../../orchestrator/backends/docker/engine.js';
import { chooseMode } from '../../orchestrator/impair/kernel/index.js';
import { applyPlan, runHelper, showTc, shCommand, type HelperOptions } from '../../orchestrator/impair/kernel/helper.js';
import { kernelPlan } from '../../orchestrator/impair/kernel/plan.js';
import { kernelPreflight } from '../../orchestrator/impair/kernel/preflight.js';
import type { OpenRun } from '../../orchestrator/run.js';
import { docker, IMAGE, OWNER, TEST_LABEL, TEST_NETWORK_PREFIX } from './support.js';

const exec = promisify(execFile);
const runId = `sp-ktest${process.pid.toString(16)}`;
const labels = { [TEST_LABEL]: OWNER, [LABEL_RUN]: runId };
const helper: HelperOptions = { docker, runId, labels: { [TEST_LABEL]: OWNER } };

/** What the host says about a qdisc module, if anything (built-ins without parameters leave no trace). */
function hostSays(mod: string): boolean | undefined {
  const modules = existsSync('/proc/modules') ? readFileSync('/proc/modules', 'utf8') : '';
  if (new RegExp(`^${mod} `, 'm').test(modules) || existsSync(`/sys/module/${mod}`)) return true;
  return undefined;
}

describe('kernel impairment: preflight and mode selection', () => {
  it('reports what this kernel really has, and the mode follows it', async () => {
    const pre = await kernelPreflight(helper);
    console.log(`preflight: ${pre.detail}`);
    expect(pre.privileged).toBe(true);
    if (hostSays('sch_htb')) expect(pre.htb).toBe(true);
    if (hostSays('sch_netem')) expect(pre.netem).toBe(true);
    const run = { layout: { runId }, record: { backend: 'docker' } } as unknown as OpenRun;
    const choice = await chooseMode(run, { docker });
    expect(choice.preflight).toMatchObject({ netem: pre.netem, htb: pre.htb, privileged: pre.privileged });
    if (pre.netem && pre.htb && pre.filters) {
      expect(choice.mode).toBe('kernel');
    } else {
      // This machine (no sch_netem): userspace, with the reason stated.
      expect(choice.mode).toBe('userspace');
      expect(choice.reason).toMatch(/missing .*(sch_netem|sch_htb|u32)/);
    }
    const processRun = { layout: { runId }, record: { backend: 'process' } } as unknown as OpenRun;
    expect((await chooseMode(processRun)).mode).toBe('userspace');
    // No helper is left behind.
    expect(await docker.listContainers({ all: true, filters: { label: [`${LABEL_RUN}=${runId}`, 'spinoza.role=impair-helper'] } })).toEqual([]);
  });
});

describe('kernel impairment: tc through the helper in a running container', () => {
  let network: Docker.Network;
  const containers: Docker.Container[] = [];
  const ip: Record<'a' | 'b', string> = { a: '', b: '' };
  const name = { a: `${TEST_NETWORK_PREFIX}${runId}-a`, b: `${TEST_NETWORK_PREFIX}${runId}-b` };

  beforeAll(async () => {
    network = await docker.createNetwork({ Name: `${TEST_NETWORK_PREFIX}${runId}`, Driver: 'bridge', Labels: labels });
    // b answers TCP on 7000; a idles. Both as the image's unprivileged user, without NET_ADMIN.
    const scripts = { a: 'setInterval(() => {}, 1e6)', b: "require('net').createServer((s) => s.end('hi')).listen(7000)" };
    for (const k of ['a', 'b'] as const) {
      const c = await docker.createContainer({
        name: name[k], Image: IMAGE, Entrypoint: ['node', '-e', scripts[k]], Labels: labels,
        HostConfig: { NetworkMode: `${TEST_NETWORK_PREFIX}${runId}`, Init: true },
      });
      containers.push(c);
      await c.start();
      const info = await c.inspect();
      ip[k] = info.NetworkSettings.Networks[`${TEST_NETWORK_PREFIX}${runId}`]!.IPAddress;
      expect(info.HostConfig.CapAdd ?? []).not.toContain('NET_ADMIN');
    }
  }, 60_000);

  afterAll(async () => {
    for (const c of containers) await c.remove({ force: true }).catch(() => {});
    await network?.remove().catch(() => {});
  });

  /** Whether a reaches b:7000 within 1.5 s (node in a, as its own user). */
  const reach = async (): Promise<boolean> => {
    const js = `const s=require('net').connect(7000,'${ip.b}');s.setTimeout(1500,()=>process.exit(2));s.on('data',()=>process.exit(0));s.on('error',()=>process.exit(3))`;
    try {
      await exec('docker', ['exec', name.a, 'node', '-e', js], { timeout: 10_000 });
      return true;
    } catch {
      return false;
    }
  };

  it('applies an HTB plan (bandwidth + partition), replaces it in place, and clears it', async () => {
    const peers = [{ id: 1, ip: ip.a }, { id: 2, ip: ip.b }];
    expect(await reach()).toBe(true);
    // Node 2 (b) holds a grudge against node 1 (a): a's egress to b goes to the blackhole class.
    const cut = ImpairmentProfile.parse({ bandwidth: 1_000_000, partition: { 2: [1] } });
    await applyPlan(helper, name.a, kernelPlan({ profile: cut, self: 1, peers }));
    const qdiscs = await showTc(helper, name.a, 'qdisc');
    expect(qdiscs).toMatch(/^qdisc htb 1: root/m);
    expect(qdiscs).toMatch(/^qdisc blackhole 2: parent 1:2/m);
    expect(await showTc(helper, name.a, 'class')).toMatch(/class htb 1:10 root leaf 10: .*rate 8Mbit/);
    expect(await showTc(helper, name.a, 'filter')).toMatch(/\*flowid 1:2/);
    expect(await reach()).toBe(false);

    // A change is a replace over the installed plan: the partition heals, the rate changes.
    const healed = ImpairmentProfile.parse({ bandwidth: 250_000 });
    await applyPlan(helper, name.a, kernelPlan({ profile: healed, self: 1, peers }));
    expect(await showTc(helper, name.a, 'class')).toMatch(/class htb 1:10 root leaf 10: .*rate 2Mbit/);
    expect(await showTc(helper, name.a, 'filter')).toMatch(/\*flowid 1:10/);
    expect(await reach()).toBe(true);

    // Clear: filters back to the unshaped class; the root stays (nothing deleted under traffic).
    await applyPlan(helper, name.a, kernelPlan({ profile: ImpairmentProfile.parse({ partition: { 2: [1] } }), self: 1, peers }));
    expect(await reach()).toBe(false);
    await applyPlan(helper, name.a, kernelPlan({ profile: null, self: 1, peers }));
    expect(await showTc(helper, name.a, 'filter')).toMatch(/\*flowid 1:1 /);
    expect(await showTc(helper, name.a, 'filter')).not.toMatch(/\*flowid 1:2 /);
    expect(await reach()).toBe(true);
    // A clear on a container that never had a plan does nothing.
    const bare = await applyPlan(helper, name.b, kernelPlan({ profile: null, self: 2, peers }));
    expect(bare.stdout).toContain('no kernel impairment installed');
    expect(await showTc(helper, name.b, 'qdisc')).not.toContain('htb');
  });

  it('applies a TBF root through the helper and removes it; a failing tc command is reported', async () => {
    const tbf = ['tc', 'qdisc', 'replace', 'dev', 'eth0', 'root', 'handle', '1:', 'tbf', 'rate', '1mbit', 'burst', '32kbit', 'latency', '400ms'];
    const r = await runHelper(helper, `container:${name.b}`, shCommand(tbf));
    expect(r.exitCode).toBe(0);
    expect(await showTc(helper, name.b, 'qdisc')).toMatch(/^qdisc tbf 1: root .*rate 1Mbit/m);
    await runHelper(helper, `container:${name.b}`, shCommand(['tc', 'qdisc', 'del', 'dev', 'eth0', 'root']));
    expect(await showTc(helper, name.b, 'qdisc')).not.toContain('tbf');
    const bad = { dev: 'eth0', ensure: [], onlyIfInstalled: false, commands: [['tc', 'qdisc', 'replace', 'dev', 'eth0', 'root', 'handle', '1:', 'nosuchqdisc']] };
    await expect(applyPlan(helper, name.b, bad)).rejects.toMatchObject({ code: 'docker-failed', message: expect.stringContaining('nosuchqdisc') });
    expect(await docker.listContainers({ all: true, filters: { label: [`${LABEL_RUN}=${runId}`, 'spinoza.role=impair-helper'] } })).toEqual([]);
  });
});
