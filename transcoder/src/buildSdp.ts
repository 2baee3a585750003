import type { RtpInput } from '@stagecast/protocol';

const TOKEN = /^[A-Za-z0-9_.-]+$/;
const FMTP = /^[\x20-\x7e]*$/;

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`cannot describe RTP input: bad ${what}`);
}

/**
 * The SDP FFmpeg reads to receive one producer's RTP (one file per input, so each input gets
 * its own demuxer, reorder queue and read timeout). `host` is the address FFmpeg listens on.
 */
export function buildSdp(input: RtpInput, host = '127.0.0.1'): string {
  check(TOKEN.test(input.codec), 'codec');
  check(TOKEN.test(host), 'host');
  check(TOKEN.test(input.producerId), 'producer id');
  for (const [name, n, max] of [
    ['payload type', input.payloadType, 127],
    ['clock rate', input.clockRate, 1_000_000],
    ['RTP port', input.rtpPort, 65535],
    ['RTCP port', input.rtcpPort, 65535],
  ] as const) {
    check(Number.isInteger(n) && n > 0 && n <= max, name);
  }
  check(input.fmtp === undefined || FMTP.test(input.fmtp), 'fmtp');
  const channels =
    input.kind === 'audio' && input.channels !== undefined && input.channels > 1 ? `/${input.channels}` : '';
  const lines = [
    'v=0',
    `o=- 0 0 IN IP4 ${host}`,
    `s=stagecast ${input.producerId}`,
    `c=IN IP4 ${host}`,
    't=0 0',
    // Plain RTP/AVP: the PlainTransport sends neither SRTP nor feedback FFmpeg would parse.
    `m=${input.kind} ${input.rtpPort} RTP/AVP ${input.payloadType}`,
    // mediasoup sends RTCP to this port (rtcpMux: false); FFmpeg must listen on the same one.
    `a=rtcp:${input.rtcpPort}`,
    `a=rtpmap:${input.payloadType} ${input.codec}/${input.clockRate}${channels}`,
  ];
  if (input.fmtp) lines.push(`a=fmtp:${input.payloadType} ${input.fmtp}`);
  lines.push('a=recvonly');
  return lines.join('\n') + '\n';
}
