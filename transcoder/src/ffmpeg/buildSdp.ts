import type { RtpInput } from '@stagecast/protocol';
import type { PortPair } from '../core/PortPool.js';
import type { SlotCodec } from '../relay/slotCodecs.js';

const TOKEN = /^[A-Za-z0-9_.-]+$/;
const FMTP = /^[\x20-\x7e]*$/;

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`cannot describe RTP input: bad ${what}`);
}

/** The media section of one RTP stream (checked: every value is untrusted). */
function mediaSection(input: RtpInput, host: string): string[] {
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
  const media = [
    // Plain RTP/AVP: the sender sends neither SRTP nor feedback FFmpeg would parse.
    `m=${input.kind} ${input.rtpPort} RTP/AVP ${input.payloadType}`,
    // The sender's RTCP (if any) comes to this port; FFmpeg must listen on the same one.
    `a=rtcp:${input.rtcpPort}`,
    `a=rtpmap:${input.payloadType} ${input.codec}/${input.clockRate}${channels}`,
  ];
  if (input.fmtp) media.push(`a=fmtp:${input.payloadType} ${input.fmtp}`);
  media.push('a=recvonly');
  return media;
}

function session(host: string, name: string): string[] {
  check(TOKEN.test(host), 'host');
  return ['v=0', `o=- 0 0 IN IP4 ${host}`, `s=stagecast ${name}`, `c=IN IP4 ${host}`, 't=0 0'];
}

/** The SDP FFmpeg reads to receive one RTP stream. `host` is the address FFmpeg listens on. */
export function buildSdp(input: RtpInput, host = '127.0.0.1'): string {
  return [...session(host, input.producerId), ...mediaSection(input, host)].join('\n') + '\n';
}

/**
 * One SDP for all of the compositor's slots: one FFmpeg input (one demuxer) that reads every
 * slot's socket as packets arrive. With one input per slot, FFmpeg's main loop waits on
 * whichever input the filter graph asks for next, and on a busy machine many inputs made a
 * new FFmpeg slow to show its first frame.
 */
export function buildSlotsSdp(inputs: readonly RtpInput[], host = '127.0.0.1'): string {
  return (
    [...session(host, 'compositor slots'), ...inputs.flatMap((input) => mediaSection(input, host))].join(
      '\n',
    ) + '\n'
  );
}

/** What FFmpeg reads on one slot: the slot's codec, the relay's SSRC of it, FFmpeg's ports. */
export function slotInput(codec: SlotCodec, index: number, ssrc: number, ports: PortPair): RtpInput {
  const { channels, fmtp } = codec.sdp;
  return {
    producerId: `slot-${codec.kind}-${index}`,
    kind: codec.kind,
    codec: codec.sdp.codec,
    clockRate: codec.sdp.clockRate,
    ...(channels === undefined ? {} : { channels }),
    ...(fmtp === undefined ? {} : { fmtp }),
    payloadType: codec.payloadType,
    ssrc,
    ...ports,
  };
}
