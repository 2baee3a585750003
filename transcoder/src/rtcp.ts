import { createSocket } from 'node:dgram';

const VERSION = 2 << 6;
const RECEIVER_REPORT = 201;
const BYE = 203;

/**
 * An RTCP compound packet saying that `ssrc` has left: an empty receiver report (a compound
 * packet starts with a report, and FFmpeg drops anything shorter than 12 bytes) and a BYE.
 * FFmpeg's RTP demuxer ends the input when every stream of its SDP got one.
 */
export function rtcpBye(ssrc: number): Buffer {
  const packet = Buffer.alloc(16);
  packet.writeUInt8(VERSION, 0); // no report blocks
  packet.writeUInt8(RECEIVER_REPORT, 1);
  packet.writeUInt16BE(1, 2); // length in 32-bit words, minus one
  packet.writeUInt32BE(ssrc >>> 0, 4);
  packet.writeUInt8(VERSION | 1, 8); // one source
  packet.writeUInt8(BYE, 9);
  packet.writeUInt16BE(1, 10);
  packet.writeUInt32BE(ssrc >>> 0, 12);
  return packet;
}

/** Sends a BYE for each input to its RTCP port on `host`. */
export async function sendByes(host: string, inputs: readonly { ssrc: number; rtcpPort: number }[]): Promise<void> {
  if (inputs.length === 0) return;
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  socket.on('error', () => undefined);
  try {
    await Promise.all(
      inputs.map((input) => new Promise<void>((resolve) => socket.send(rtcpBye(input.ssrc), input.rtcpPort, host, () => resolve()))),
    );
  } finally {
    socket.close();
  }
}
