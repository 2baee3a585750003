import { createSocket, type Socket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';

/** The RTP and RTCP ports of one input (`rtcpPort = rtpPort + 1`, RTP even, as RFC 3550 asks). */
export interface PortPair {
  rtpPort: number;
  rtcpPort: number;
}

function bindUdp(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', (error) => {
      socket.close();
      reject(error);
    });
    socket.bind({ port, address: '0.0.0.0', exclusive: true }, () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}

const closeAll = (sockets: Socket[]): void => sockets.forEach((s) => s.close());

/** UDP ports with a socket bound on this machine, from /proc (Linux); null elsewhere. */
async function boundUdpPorts(): Promise<Set<number> | null> {
  const ports = new Set<number>();
  let read = false;
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    const text = await readFile(file, 'utf8').catch(() => null);
    if (text === null) continue;
    read = true;
    for (const line of text.split('\n').slice(1)) {
      const local = line.trim().split(/\s+/)[1];
      const hex = local?.split(':').at(-1);
      if (hex) ports.add(Number.parseInt(hex, 16));
    }
  }
  return read ? ports : null;
}

/**
 * Hands out free UDP port pairs for FFmpeg and remembers them until released, so two
 * sessions starting at once never pick the same pair before FFmpeg binds it.
 */
export class PortPool {
  private readonly taken = new Set<number>();

  async allocate(count: number): Promise<PortPair[]> {
    const pairs: PortPair[] = [];
    try {
      for (let i = 0; i < count; i++) pairs.push(await this.allocateOne());
    } catch (error) {
      this.release(pairs);
      throw error;
    }
    return pairs;
  }

  release(pairs: readonly PortPair[]): void {
    for (const p of pairs) {
      this.taken.delete(p.rtpPort);
      this.taken.delete(p.rtcpPort);
    }
  }

  private async allocateOne(): Promise<PortPair> {
    for (let attempt = 0; attempt < 100; attempt++) {
      // The kernel picks a free port; we need an even one whose neighbour is free too.
      const probe = await bindUdp(0);
      const port = probe.address().port;
      probe.close();
      const rtpPort = port % 2 === 0 ? port : port + 1;
      if (rtpPort + 1 > 65535 || this.taken.has(rtpPort) || this.taken.has(rtpPort + 1)) continue;
      const held: Socket[] = [];
      try {
        held.push(await bindUdp(rtpPort));
        held.push(await bindUdp(rtpPort + 1));
      } catch {
        closeAll(held);
        continue;
      }
      closeAll(held);
      this.taken.add(rtpPort);
      this.taken.add(rtpPort + 1);
      return { rtpPort, rtcpPort: rtpPort + 1 };
    }
    throw new Error('no free UDP port pair');
  }
}

/**
 * True once something (FFmpeg) has bound every one of these UDP ports: read from
 * /proc/net/udp, or where there is no /proc, by failing to bind them ourselves.
 */
export async function udpPortsBound(ports: readonly number[]): Promise<boolean> {
  const bound = await boundUdpPorts();
  if (bound) return ports.every((p) => bound.has(p));
  for (const port of ports) {
    try {
      const socket = await bindUdp(port);
      socket.close();
      return false;
    } catch {
      // EADDRINUSE: bound by someone.
    }
  }
  return true;
}

/** A TCP port free on 127.0.0.1 right now (for FFmpeg's zmq filter, which binds it itself). */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no TCP port')),
      );
    });
  });
}
