// Every metric the node exports, declared in one place; rendered in Prometheus text format.
import { REJECT_REASONS } from './wire/verdict.js';

const COUNTERS = {
  spinoza_broadcasts_published_total: 'Broadcasts accepted from clients at this node',
  spinoza_relays_received_total: 'Relay frames received, duplicates included',
  spinoza_duplicates_total: 'Relay frames for messages already seen',
  spinoza_delivered_total: 'Messages delivered (first valid copy)',
  spinoza_forwarded_total: 'Relay frames sent',
  spinoza_forwarded_bytes_total: 'Bytes of relay frames sent',
  spinoza_routed_around_total: 'Children routed around after a missing ack or failed send',
  spinoza_rejected_total: 'Inputs rejected, by reason',
  spinoza_proofs_total: 'Delivery proofs finalised at this node as entry, by completeness',
  spinoza_registrations_total: 'Registrar: nodes admitted into the directory',
  spinoza_registrations_refused_total: 'Registrar: registration requests refused, by reason',
} as const;
export type CounterName = keyof typeof COUNTERS;

export class Metrics {
  private readonly counters = new Map<string, number>();
  private readonly gauges = new Map<string, () => number>();

  constructor() {
    for (const reason of REJECT_REASONS) this.counters.set(key('spinoza_rejected_total', { reason }), 0);
  }

  inc(name: CounterName, labels: Record<string, string> = {}, by = 1): void {
    const k = key(name, labels);
    this.counters.set(k, (this.counters.get(k) ?? 0) + by);
  }

  get(name: CounterName, labels: Record<string, string> = {}): number {
    return this.counters.get(key(name, labels)) ?? 0;
  }

  gauge(name: string, read: () => number): void {
    this.gauges.set(name, read);
  }

  render(): string {
    const lines: string[] = [];
    for (const [name, help] of Object.entries(COUNTERS)) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const [k, v] of this.counters) if (k === name || k.startsWith(`${name}{`)) lines.push(`${k} ${v}`);
    }
    for (const [name, read] of this.gauges) lines.push(`# TYPE ${name} gauge`, `${name} ${read()}`);
    return lines.join('\n') + '\n';
  }
}

function key(name: string, labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return parts.length ? `${name}{${parts.join(',')}}` : name;
}
