// Frame decoding, cheapest check first: size, then JSON, then schema.
import { InboundFrame } from './schemas.js';
import { accept, reject, type Verdict } from './verdict.js';

export interface WireLimits {
  /** Largest frame accepted, bytes (also the ws maxPayload). */
  maxFrameBytes: number;
  /** Largest broadcast body, bytes. */
  maxBodyBytes: number;
}

export const DEFAULT_WIRE_LIMITS: WireLimits = { maxFrameBytes: 1 << 20, maxBodyBytes: 64 << 10 };

export function decodeFrame(data: Buffer | string, limits: WireLimits): Verdict<InboundFrame> {
  const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  if (size > limits.maxFrameBytes) return reject('oversized', `frame of ${size} bytes > ${limits.maxFrameBytes}`);
  let json: unknown;
  try {
    json = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  } catch (e) {
    return reject('malformed', (e as Error).message);
  }
  const parsed = InboundFrame.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return reject('schema', issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid frame');
  }
  const frame = parsed.data;
  if ((frame.type === 'relay' || frame.type === 'submit' || frame.type === 'repair') && Buffer.byteLength(frame.msg.body) > limits.maxBodyBytes) {
    return reject('oversized', `body > ${limits.maxBodyBytes} bytes`);
  }
  return accept(frame);
}

/** Serialise once; the same string is written to every peer. */
export const encodeFrame = (frame: object): string => JSON.stringify(frame);
