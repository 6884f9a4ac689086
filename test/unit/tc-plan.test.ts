// Kernel mode's tc plan (orchestrator/impair/kernel/plan.ts), the helper's sh quoting and script, the
// preflight's parsing, the mode selection and which container each live node is shaped in: all pure.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ImpairmentProfile, type ImpairmentProfileInput } from '../../node/impairment/profile.js';
import { demux, planScript, shCommand, shQuote } from '../../orchestrator/impair/kernel/helper.js';
import { kernelTargets } from '../../orchestrator/impair/kernel/index.js';
import { kernelPlan, needsNetem, type TcArgv, type TcPlan } from '../../orchestrator/impair/kernel/plan.js';
import { parsePreflight, selectImpairmentMode } from '../../orchestrator/impair/kernel/preflight.js';

const peers = [{ id: 1, ip: '10.77.0.11' }, { id: 2, ip: '10.77.0.12' }, { id: 3, ip: '10.77.0.13' }];
const P = (p: ImpairmentProfileInput) => ImpairmentProfile.parse(p);
const line = (argv: TcArgv) => argv.join(' ');
const lines = (plan: TcPlan) => plan.commands.map(line);

const ROOT = 'tc qdisc replace dev eth0 root handle 1: htb default 1';
const BASE = [
  'tc class replace dev eth0 parent 1: classid 1:1 htb rate 10gbit quantum 60000',
  'tc class replace dev eth0 parent 1: classid 1:2 htb rate 10gbit quantum 60000',
  'tc qdisc replace dev eth0 parent 1:2 handle 2: blackhole',
];
const cls = (minor: string, rate = 'rate 10gbit quantum 60000') => `tc class replace dev eth0 parent 1: classid 1:${minor} htb ${rate}`;
const leaf = (minor: string, what: string) => `tc qdisc replace dev eth0 parent 1:${minor} handle ${minor}: ${what}`;
const filt = (h: string, ip: string, flow: string) =>
  `tc filter replace dev eth0 parent 1: protocol ip prio 1 handle 800::${h} u32 match ip dst ${ip}/32 flowid ${flow}`;

describe('kernelPlan', () => {
  const cases: { name: string; self: number; profile: ImpairmentProfileInput; expected: string[] }[] = [
    {
      name: 'latency only', self: 1, profile: { latencyMs: 50 },
      expected: [...BASE,
        cls('10'), leaf('10', 'netem limit 100000 delay 50ms'), filt('1', '10.77.0.12', '1:10'),
        cls('11'), leaf('11', 'netem limit 100000 delay 50ms'), filt('2', '10.77.0.13', '1:11')],
    },
    {
      name: 'latency + jitter + loss', self: 2, profile: { latencyMs: 20, jitterMs: 2.5, loss: 0.015 },
      expected: [...BASE,
        cls('10'), leaf('10', 'netem limit 100000 delay 20ms 2.5ms loss 1.5%'), filt('1', '10.77.0.11', '1:10'),
        cls('11'), leaf('11', 'netem limit 100000 delay 20ms 2.5ms loss 1.5%'), filt('2', '10.77.0.13', '1:11')],
    },
    {
      name: 'bandwidth only (no netem needed)', self: 3, profile: { bandwidth: 125_000 },
      expected: [...BASE,
        cls('10', 'rate 1000000bit burst 16384 cburst 16384'), leaf('10', 'pfifo limit 10000'), filt('1', '10.77.0.11', '1:10'),
        cls('11', 'rate 1000000bit burst 16384 cburst 16384'), leaf('11', 'pfifo limit 10000'), filt('2', '10.77.0.12', '1:11')],
    },
    {
      // 3 nodes, weights 2:1 → which node lands where is the seeded assignment; eu↔us 40 ms, eu↔eu 5 ms.
      name: 'region matrix: a class per destination', self: 1,
      profile: { latencyMs: 1, regions: { eu: { weight: 1 }, us: { weight: 1 }, ap: { weight: 1 } }, matrix: { eu: { us: 40, ap: 90 }, us: { ap: 70 } }, seed: 's' },
      expected: [], // checked below against linkImpairment's delays
    },
    {
      name: 'partition: grudged destinations go to the blackhole class', self: 1, profile: { partition: { 2: [1] } },
      expected: [...BASE,
        cls('10'), leaf('10', 'pfifo limit 10000'), filt('1', '10.77.0.12', '1:2'),
        cls('11'), leaf('11', 'pfifo limit 10000'), filt('2', '10.77.0.13', '1:11')],
    },
  ];
  for (const c of cases.filter((x) => x.expected.length > 0)) {
    it(c.name, () => {
      const plan = kernelPlan({ profile: P(c.profile), self: c.self, peers });
      expect(plan.ensure.map((e) => [e.present, line(e.argv)])).toEqual([['qdisc htb 1: root', ROOT]]);
      expect(lines(plan)).toEqual(c.expected);
      expect(plan.onlyIfInstalled).toBe(false);
      expect(plan.commands.every((argv) => argv[0] === 'tc' && argv[2] !== 'del' && argv[2] !== 'add')).toBe(true);
    });
  }

  it('region matrix: a class per destination with that region pair\'s delay', () => {
    const profile = P(cases[3]!.profile);
    const regionOf = (n: number) => ({ 1: 'eu', 2: 'us', 3: 'ap' } as Record<number, string>)[n];
    for (const [self, want] of [[1, ['40ms', '90ms']], [2, ['40ms', '70ms']], [3, ['90ms', '70ms']]] as const) {
      const netems = kernelPlan({ profile, self, peers, regionOf }).commands.filter((a) => a.includes('netem')).map((a) => a[a.indexOf('delay') + 1]);
      expect(netems).toEqual(want);
    }
  });

  it('partition: the other direction is dropped at the other node\'s egress', () => {
    const plan = kernelPlan({ profile: P({ partition: { 2: [1] } }), self: 2, peers });
    expect(lines(plan).filter((l) => l.includes('flowid 1:2'))).toEqual([]);
    const both = kernelPlan({ profile: P({ partition: { 2: [1], 1: [2] } }), self: 2, peers });
    expect(lines(both).filter((l) => l.includes('flowid 1:2'))).toEqual([filt('1', '10.77.0.11', '1:2')]);
  });

  it('clear: filters back to the unshaped class, only where installed, nothing deleted', () => {
    const plan = kernelPlan({ profile: null, self: 1, peers });
    expect(plan).toMatchObject({ ensure: [], onlyIfInstalled: true });
    expect(lines(plan)).toEqual([filt('1', '10.77.0.12', '1:1'), filt('2', '10.77.0.13', '1:1')]);
  });

  it('handles stay stable whatever the profile, so a change replaces in place', () => {
    const a = kernelPlan({ profile: P({ latencyMs: 5 }), self: 1, peers });
    const b = kernelPlan({ profile: P({ bandwidth: 1000, partition: { 3: [1] } }), self: 1, peers });
    expect(a.commands.map((x) => x.slice(0, 9).join(' '))).toEqual(b.commands.map((x) => x.slice(0, 9).join(' ')));
  });

  it('needsNetem only when a link has delay, jitter or loss', () => {
    expect(needsNetem(kernelPlan({ profile: P({ bandwidth: 1000 }), self: 1, peers }))).toBe(false);
    expect(needsNetem(kernelPlan({ profile: P({ loss: 0.01 }), self: 1, peers }))).toBe(true);
  });

  it('refuses what tc cannot be given safely', () => {
    expect(() => kernelPlan({ profile: null, self: 1, peers: [{ id: 2, ip: '10.0.0.1; rm -rf /' }] })).toThrow(/IPv4/);
    expect(() => kernelPlan({ profile: null, self: 1, peers: [{ id: 2, ip: '10.0.0.1' }, { id: 3, ip: '10.0.0.1' }] })).toThrow(/share/);
    expect(() => kernelPlan({ profile: null, self: 1, peers, dev: 'eth0 root' })).toThrow(/device/);
  });
});

describe('helper script', () => {
  const sh = (script: string) => execFileSync('sh', ['-c', script], { encoding: 'utf8' });
  it.each([['plain'], ['with space'], ["it's"], ['$(echo pwned)'], ['`x`'], ['a"b\\c'], ['\n'], ['']])('shQuote round-trips %j', (arg) => {
    expect(sh(`printf %s ${shQuote(arg)}`)).toBe(arg);
  });
  it('shCommand keeps argv boundaries', () => {
    expect(sh(`printf '[%s]' ${shCommand(['a b', "c'd", '*'])}`)).toBe("[a b][c'd][*]");
  });
  it('planScript: ensure guarded by the root marker, every command through run, clear skips a bare node', () => {
    const s = planScript(kernelPlan({ profile: P({ latencyMs: 1 }), self: 1, peers }));
    expect(s).toContain(`case "$shown" in *'qdisc htb 1: root'*) ;; *) run 'tc' 'qdisc' 'replace' 'dev' 'eth0' 'root'`);
    expect(s.split('\n').filter((l) => l.startsWith('run '))).toHaveLength(3 + 3 * 2);
    expect(planScript(kernelPlan({ profile: null, self: 1, peers }))).toContain('no kernel impairment installed');
  });
  it('planScript stops at the first failing command and names it', () => {
    const plan: TcPlan = { dev: 'eth0', ensure: [], onlyIfInstalled: false, commands: [['true'], ['sh', '-c', 'exit 3'], ['echo', 'never']] };
    const script = planScript(plan).replace(/^shown=.*$/m, 'shown=');
    let err = '';
    try { execFileSync('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] }); } catch (e) { err = String((e as { stderr: Buffer }).stderr); }
    expect(err).toContain("spinoza-tc: failed (exit 3): sh -c exit 3");
  });
  it('demux splits docker log frames', () => {
    const frame = (kind: number, text: string) => {
      const head = Buffer.alloc(8);
      head[0] = kind;
      head.writeUInt32BE(Buffer.byteLength(text), 4);
      return Buffer.concat([head, Buffer.from(text)]);
    };
    expect(demux(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, 'more')]))).toEqual({ stdout: 'out\nmore', stderr: 'err\n' });
  });
});

describe('preflight and mode selection', () => {
  const here = parsePreflight('privileged=0\nhtb=0\nfilters=0\nnetem=2\n', 'netem: Error: Specified qdisc kind is unknown.\n');
  it('parses the helper output', () => {
    expect(here).toMatchObject({ privileged: true, htb: true, filters: true, netem: false });
    expect(here.detail).toContain('Specified qdisc kind is unknown');
  });
  it('kernel only on docker with everything present; the reason is always stated', () => {
    const all = { privileged: true, htb: true, netem: true, filters: true, detail: '' };
    expect(selectImpairmentMode('docker', all).mode).toBe('kernel');
    expect(selectImpairmentMode('docker', here)).toEqual({ mode: 'userspace', reason: expect.stringContaining('sch_netem') });
    expect(selectImpairmentMode('docker', { ...all, privileged: false }).reason).toContain('NET_ADMIN');
    expect(selectImpairmentMode('process', all).mode).toBe('userspace');
    expect(selectImpairmentMode('docker', null).mode).toBe('userspace');
  });
});

describe('kernelTargets', () => {
  it("names each live node's container: a genesis node's by its id, a joined node's by its k", () => {
    const record = { live: [1, 2, 17], joiners: [{ k: 0, host: '10.200.0.18', port: 7000 }, { k: 1, host: '10.200.0.19', port: 7000, id: 17 }] };
    expect(kernelTargets('sp-k', record)).toEqual([
      { id: 1, container: 'spinoza-sp-k-node-1' },
      { id: 2, container: 'spinoza-sp-k-node-2' },
      { id: 17, container: 'spinoza-sp-k-joiner-1' },
    ]);
    expect(kernelTargets('sp-k', { live: [3] })).toEqual([{ id: 3, container: 'spinoza-sp-k-node-3' }]);
  });
});
