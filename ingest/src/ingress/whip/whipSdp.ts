import { randomInt } from 'node:crypto';
import type { types } from 'mediasoup';
import * as sdpTransform from 'sdp-transform';
import { StagecastError, type MediaKind } from '@stagecast/protocol';

/** One m-section of a WHIP offer the stage takes: what to produce, and what to answer. */
export interface OfferSection {
  /** Index of the m-section in the offer (the answer keeps the order). */
  index: number;
  mid: string;
  kind: MediaKind;
  rtpParameters: types.RtpParameters;
}

export interface WhipOffer {
  sections: OfferSection[];
  /** The publisher's DTLS parameters, with the role it takes. */
  dtlsParameters: types.DtlsParameters;
  /** The parsed offer, to answer every m-section in order. */
  sdp: sdpTransform.SessionDescription;
}

/** What the answer tells the publisher about the server's transport. */
export interface AnswerTransport {
  iceParameters: types.IceParameters;
  iceCandidates: types.IceCandidate[];
  dtlsParameters: types.DtlsParameters;
}

type SdpMedia = sdpTransform.MediaDescription;

/**
 * H.264 profiles the router lists (mediasoup matches the profile, not the level, when
 * `level-asymmetry-allowed` is set): constrained baseline and main.
 */
const H264_PROFILES = ['42e0', '4d00'];

/**
 * Reads a WHIP offer (parsed by sdp-transform) into producer parameters: for each audio and
 * video m-section, the first codec in the publisher's order that the router takes (with its
 * RTX), the header extensions the router knows, the SSRCs and the CNAME. An audio or video
 * section with no such codec refuses the whole offer (CODEC_UNSUPPORTED): a participant whose
 * picture or sound nobody could receive is no participant.
 */
export function readOffer(offer: string, caps: types.RtpCapabilities): WhipOffer {
  let sdp: sdpTransform.SessionDescription;
  try {
    sdp = sdpTransform.parse(offer);
  } catch {
    throw new StagecastError('BAD_REQUEST', 'The SDP offer cannot be parsed');
  }
  if (!Array.isArray(sdp.media) || sdp.media.length === 0)
    throw new StagecastError('BAD_REQUEST', 'The SDP offer has no media');
  const fingerprint = sdp.fingerprint ?? sdp.media.find((m) => m.fingerprint)?.fingerprint;
  const setup = sdp.media.find((m) => m.setup)?.setup ?? sdp.setup ?? 'actpass';
  const algorithm = fingerprint?.type.toLowerCase();
  if (!fingerprint || !isFingerprintAlgorithm(algorithm))
    throw new StagecastError('BAD_REQUEST', 'The SDP offer has no usable DTLS fingerprint');
  const sections: OfferSection[] = [];
  sdp.media.forEach((media, index) => {
    if (media.type !== 'audio' && media.type !== 'video') return;
    if (media.port === 0 || media.direction === 'recvonly' || media.direction === 'inactive') return;
    // sdp-transform reads a numeric mid ("0") as a number.
    if (media.mid === undefined || String(media.mid) === '')
      throw new StagecastError('BAD_REQUEST', 'Every media section needs a mid (BUNDLE)');
    sections.push({
      index,
      mid: String(media.mid),
      kind: media.type,
      rtpParameters: rtpParameters(media, caps),
    });
  });
  if (sections.length === 0) throw new StagecastError('BAD_REQUEST', 'The SDP offer sends no audio or video');
  return {
    sections,
    sdp,
    dtlsParameters: {
      // The offerer that can be either (actpass) or insists on it is the DTLS client.
      role: setup === 'passive' ? 'server' : 'client',
      fingerprints: [{ algorithm, value: fingerprint.hash }],
    },
  };
}

function rtpParameters(media: SdpMedia, caps: types.RtpCapabilities): types.RtpParameters {
  const kind = media.type as MediaKind;
  const fmtp = (pt: number) =>
    sdpTransform.parseParams(media.fmtp.find((f) => f.payload === pt)?.config ?? '');
  const usable = media.rtp.filter((rtp) => takes(caps, kind, rtp, fmtp(rtp.payload)));
  // VP8 first when offered: the composite's slots decode VP8 only, H.264 stays on the stage.
  const chosen = usable.find((rtp) => rtp.codec.toLowerCase() === 'vp8') ?? usable[0];
  if (!chosen) {
    throw new StagecastError(
      'CODEC_UNSUPPORTED',
      kind === 'video'
        ? 'The offer has no video codec the stage takes (VP8, or H.264 with packetization-mode 1)'
        : 'The offer has no audio codec the stage takes (Opus)',
    );
  }
  const feedback = (pt: number): types.RtcpFeedback[] =>
    (media.rtcpFb ?? [])
      .filter((fb) => String(fb.payload) === String(pt) || fb.payload === '*')
      .map((fb) => (fb.subtype ? { type: fb.type, parameter: fb.subtype } : { type: fb.type }));
  const codecs: types.RtpCodecParameters[] = [
    {
      mimeType: `${kind}/${chosen.codec}`,
      payloadType: chosen.payload,
      clockRate: chosen.rate ?? 90000,
      ...(kind === 'audio' ? { channels: chosen.encoding ?? 1 } : {}),
      parameters: fmtp(chosen.payload),
      rtcpFeedback: feedback(chosen.payload),
    },
  ];
  const rtx = media.rtp.find(
    (rtp) => rtp.codec.toLowerCase() === 'rtx' && Number(fmtp(rtp.payload).apt) === chosen.payload,
  );
  if (rtx) {
    codecs.push({
      mimeType: `${kind}/rtx`,
      payloadType: rtx.payload,
      clockRate: rtx.rate ?? 90000,
      parameters: { apt: chosen.payload },
      rtcpFeedback: [],
    });
  }
  const known = new Set(
    (caps.headerExtensions ?? []).filter((ext) => ext.kind === kind).map((ext) => ext.uri as string),
  );
  const headerExtensions = (media.ext ?? [])
    .filter((ext) => known.has(ext.uri) && ext.direction !== 'recvonly' && ext.direction !== 'inactive')
    .map((ext) => ({ uri: ext.uri as types.RtpHeaderExtensionUri, id: ext.value }));
  const ssrcs = media.ssrcs ?? [];
  const fid = media.ssrcGroups
    ?.find((group) => group.semantics === 'FID')
    ?.ssrcs.split(' ')
    .map(Number);
  const ssrc = fid?.[0] ?? ssrcs[0]?.id;
  if (ssrc === undefined || !Number.isInteger(Number(ssrc)))
    throw new StagecastError('BAD_REQUEST', `The ${kind} section announces no SSRC (a=ssrc)`);
  const encoding: types.RtpEncodingParameters = { ssrc: Number(ssrc) };
  if (rtx && fid?.[1] !== undefined) encoding.rtx = { ssrc: fid[1] };
  const cname = ssrcs.find((s) => s.attribute === 'cname')?.value;
  return {
    mid: String(media.mid),
    codecs,
    headerExtensions,
    encodings: [encoding],
    rtcp: { ...(cname ? { cname } : {}), reducedSize: media.rtcpRsize !== undefined },
  };
}

/** Whether the router lists this codec (mediasoup checks the rest when producing). */
function takes(
  caps: types.RtpCapabilities,
  kind: MediaKind,
  rtp: SdpMedia['rtp'][number],
  params: sdpTransform.ParamMap,
): boolean {
  const mimeType = `${kind}/${rtp.codec}`.toLowerCase();
  const listed = (caps.codecs ?? []).some(
    (codec) => codec.mimeType.toLowerCase() === mimeType && codec.clockRate === rtp.rate,
  );
  if (!listed) return false;
  if (mimeType !== 'video/h264') return true;
  const profile = String(params['profile-level-id'] ?? '42e01f')
    .slice(0, 4)
    .toLowerCase();
  return Number(params['packetization-mode']) === 1 && H264_PROFILES.includes(profile);
}

function isFingerprintAlgorithm(value: string | undefined): value is types.FingerprintAlgorithm {
  return (
    value === 'sha-1' ||
    value === 'sha-224' ||
    value === 'sha-256' ||
    value === 'sha-384' ||
    value === 'sha-512'
  );
}

/**
 * The SDP answer: every m-section of the offer in its order (those the stage does not take
 * rejected with port 0), receive-only, bundled on the one ICE-lite transport, with the
 * server's ICE credentials, candidates and DTLS fingerprint.
 */
export function writeAnswer(offer: WhipOffer, transport: AnswerTransport): string {
  const fingerprint =
    transport.dtlsParameters.fingerprints.find((f) => f.algorithm === 'sha-256') ??
    transport.dtlsParameters.fingerprints[0];
  if (!fingerprint) throw new StagecastError('INTERNAL', 'The transport has no DTLS fingerprint');
  // The answerer takes the role the offerer left.
  const setup = offer.dtlsParameters.role === 'server' ? 'active' : 'passive';
  const taken = new Map(offer.sections.map((s) => [s.index, s]));
  const media = offer.sdp.media.map((m, index): SdpMedia => {
    const section = taken.get(index);
    if (!section) {
      return {
        type: m.type,
        port: 0,
        protocol: m.protocol,
        payloads: m.payloads ?? '0',
        rtp: [],
        fmtp: [],
        ...(m.mid !== undefined ? { mid: String(m.mid) } : {}),
        direction: 'inactive',
      };
    }
    const codecs = section.rtpParameters.codecs;
    return {
      type: section.kind,
      port: 7,
      protocol: 'UDP/TLS/RTP/SAVPF',
      payloads: codecs.map((c) => c.payloadType).join(' '),
      connection: { version: 4, ip: '127.0.0.1' },
      rtp: codecs.map((c) => ({
        payload: c.payloadType,
        codec: c.mimeType.split('/')[1] ?? '',
        rate: c.clockRate,
        ...(c.channels && c.channels > 1 ? { encoding: c.channels } : {}),
      })),
      fmtp: codecs
        .filter((c) => Object.keys(c.parameters ?? {}).length > 0)
        .map((c) => ({
          payload: c.payloadType,
          config: Object.entries(c.parameters as Record<string, unknown>)
            .map(([key, value]) => `${key}=${String(value)}`)
            .join(';'),
        })),
      rtcpFb: codecs.flatMap((c) =>
        (c.rtcpFeedback ?? []).map((fb) => ({
          payload: c.payloadType,
          type: fb.type,
          ...(fb.parameter ? { subtype: fb.parameter } : {}),
        })),
      ),
      ext: (section.rtpParameters.headerExtensions ?? []).map((ext) => ({ value: ext.id, uri: ext.uri })),
      mid: section.mid,
      direction: 'recvonly',
      setup,
      iceUfrag: transport.iceParameters.usernameFragment,
      icePwd: transport.iceParameters.password,
      candidates: transport.iceCandidates.map((c) => ({
        foundation: c.foundation,
        component: 1,
        transport: c.protocol,
        priority: c.priority,
        ip: c.address,
        port: c.port,
        type: c.type,
        ...(c.tcpType ? { tcptype: c.tcpType } : {}),
      })),
      endOfCandidates: 'end-of-candidates',
      rtcpMux: 'rtcp-mux',
      rtcpRsize: 'rtcp-rsize',
    };
  });
  const answer: sdpTransform.SessionDescription = {
    version: 0,
    origin: {
      username: '-',
      sessionId: randomInt(1, 2 ** 47),
      sessionVersion: 2,
      netType: 'IN',
      ipVer: 4,
      address: '127.0.0.1',
    },
    name: '-',
    timing: { start: 0, stop: 0 },
    icelite: 'ice-lite',
    fingerprint: { type: fingerprint.algorithm, hash: fingerprint.value.toUpperCase() },
    groups: [{ type: 'BUNDLE', mids: offer.sections.map((s) => s.mid).join(' ') }],
    msidSemantic: { semantic: 'WMS', token: '*' },
    media,
  };
  return sdpTransform.write(answer);
}

/**
 * ICE credentials in a PATCH body (`application/trickle-ice-sdpfrag`, RFC 8840): new ones mean
 * an ICE restart; none means candidates only, which an ICE-lite server does not need.
 */
export function fragmentIceUfrag(fragment: string): string | undefined {
  try {
    const parsed = sdpTransform.parse(fragment);
    return parsed.iceUfrag ?? parsed.media?.find((m) => m.iceUfrag)?.iceUfrag;
  } catch {
    throw new StagecastError('BAD_REQUEST', 'The SDP fragment cannot be parsed');
  }
}

/** The answer to an ICE restart: the server's new credentials (RFC 9725 §4.3.2). */
export function writeRestartFragment(iceParameters: types.IceParameters, mid: string): string {
  return [
    `a=ice-ufrag:${iceParameters.usernameFragment}`,
    `a=ice-pwd:${iceParameters.password}`,
    `m=audio 9 UDP/TLS/RTP/SAVPF 0`,
    `a=mid:${mid}`,
    '',
  ].join('\r\n');
}
