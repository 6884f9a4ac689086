// The address a node advertises in its registration: the local IP the kernel would use to reach
// the registrar. In a compose replica that is its IP on the compose network, whatever the
// interface is called; on a laptop test it is 127.0.0.1.
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';

/**
 * Connecting a UDP socket sends nothing: it only makes the kernel choose a route and a source
 * address, which socket.address() then reports. Resolves the registrar's name through the
 * system resolver (the compose network's DNS).
 */
export async function ownAddressToward(registrar: URL): Promise<string> {
  const host = registrar.hostname.replace(/^\[|\]$/g, '');
  const socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(Number(registrar.port || 80), host, () => resolve());
    });
    return socket.address().address;
  } finally {
    socket.close();
  }
}
