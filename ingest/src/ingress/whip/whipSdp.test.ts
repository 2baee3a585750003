import { describe, expect, it } from 'vitest';
import type { types } from 'mediasoup';
import * as sdpTransform from 'sdp-transform';
import { readOffer, writeAnswer, fragmentIceUfrag } from './whipSdp.js';

/** The parts of a router's capabilities the reader looks at (mediasoup checks the rest). */
const CAPS: types.RtpCapabilities = {
  codecs: [
    { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2, preferredPayloadType: 100 },
    { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, preferredPayloadType: 101 },
    { kind: 'video', mimeType: 'video/H264', clockRate: 90000, preferredPayloadType: 103 },
  ],
  headerExtensions: [
    { kind: 'audio', uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', preferredId: 1 },
    { kind: 'video', uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', preferredId: 1 },
    { kind: 'video', uri: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time', preferredId: 4 },
  ],
};

/** Shaped like Chromium's offer for a send-only camera and microphone. */
function offer(
  video = ['96 VP8/90000', '97 rtx/90000', '102 H264/90000'],
  audio = '111 opus/48000/2',
): string {
  const pts = video.map((v) => v.split(' ')[0]).join(' ');
  return [
    'v=0',
    'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0 1',
    'a=msid-semantic: WMS',
    `m=audio 9 UDP/TLS/RTP/SAVPF ${audio.split(' ')[0]}`,
    'c=IN IP4 0.0.0.0',
    'a=ice-ufrag:abcd',
    'a=ice-pwd:abcdefghijklmnopqrstuvwx',
    'a=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99',
    'a=setup:actpass',
    'a=mid:0',
    'a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid',
    'a=extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
    'a=sendonly',
    'a=rtcp-mux',
    `a=rtpmap:${audio}`,
    `a=fmtp:${audio.split(' ')[0]} minptime=10;useinbandfec=1`,
    'a=ssrc:1001 cname:publisher',
    `m=video 9 UDP/TLS/RTP/SAVPF ${pts}`,
    'c=IN IP4 0.0.0.0',
    'a=ice-ufrag:abcd',
    'a=ice-pwd:abcdefghijklmnopqrstuvwx',
    'a=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99',
    'a=setup:actpass',
    'a=mid:1',
    'a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid',
    'a=extmap:3 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
    'a=sendonly',
    'a=rtcp-mux',
    'a=rtcp-rsize',
    ...video.map((v) => `a=rtpmap:${v}`),
    'a=rtcp-fb:96 nack',
    'a=rtcp-fb:96 nack pli',
    'a=rtcp-fb:96 goog-remb',
    'a=fmtp:97 apt=96',
    'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
    'a=ssrc-group:FID 2001 2002',
    'a=ssrc:2001 cname:publisher',
    'a=ssrc:2002 cname:publisher',
    '',
  ].join('\r\n');
}

const TRANSPORT = {
  iceParameters: { usernameFragment: 'server-ufrag', password: 'server-password', iceLite: true },
  iceCandidates: [
    {
      foundation: 'udpcandidate',
      priority: 1076302079,
      ip: '127.0.0.1',
      address: '127.0.0.1',
      protocol: 'udp',
      port: 40001,
      type: 'host',
    },
  ] satisfies types.IceCandidate[],
  dtlsParameters: {
    role: 'auto',
    fingerprints: [
      {
        algorithm: 'sha-256',
        value:
          '01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13:14:15:16:17:18:19:1a:1b:1c:1d:1e:1f:20',
      },
    ],
  } satisfies types.DtlsParameters,
};

describe('whip offer and answer', () => {
  it('reads producer parameters: the first codec the router takes, its RTX, SSRCs, known extensions', () => {
    const read = readOffer(offer(), CAPS);
    expect(read.dtlsParameters.role).toBe('client');
    expect(read.sections.map((s) => [s.mid, s.kind])).toEqual([
      ['0', 'audio'],
      ['1', 'video'],
    ]);
    const [audio, video] = read.sections.map((s) => s.rtpParameters);
    expect(audio?.codecs[0]).toMatchObject({
      mimeType: 'audio/opus',
      payloadType: 111,
      clockRate: 48000,
      channels: 2,
    });
    expect(audio?.encodings).toEqual([{ ssrc: 1001 }]);
    expect(audio?.headerExtensions?.map((e) => e.uri)).toEqual(['urn:ietf:params:rtp-hdrext:sdes:mid']);
    expect(video?.codecs.map((c) => [c.mimeType, c.payloadType])).toEqual([
      ['video/VP8', 96],
      ['video/rtx', 97],
    ]);
    expect(video?.codecs[0]?.rtcpFeedback).toEqual([
      { type: 'nack' },
      { type: 'nack', parameter: 'pli' },
      { type: 'goog-remb' },
    ]);
    expect(video?.encodings).toEqual([{ ssrc: 2001, rtx: { ssrc: 2002 } }]);
    expect(video?.rtcp).toEqual({ cname: 'publisher', reducedSize: true });
  });

  it('takes H.264 (packetization-mode 1, a listed profile) when the publisher has no VP8, as OBS', () => {
    const read = readOffer(offer(['102 H264/90000']), CAPS);
    expect(read.sections[1]?.rtpParameters.codecs[0]).toMatchObject({
      mimeType: 'video/H264',
      payloadType: 102,
    });
  });

  it('refuses an offer with no codec the stage takes (CODEC_UNSUPPORTED)', () => {
    expect(() => readOffer(offer(['98 VP9/90000']), CAPS)).toThrow(
      expect.objectContaining({ code: 'CODEC_UNSUPPORTED' }),
    );
    expect(() => readOffer(offer(undefined, '9 G722/8000'), CAPS)).toThrow(
      expect.objectContaining({ code: 'CODEC_UNSUPPORTED' }),
    );
    expect(() => readOffer('v=0\r\ns=-\r\n', CAPS)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });

  it('answers every section in order: receive-only, ICE-lite, bundled, the server fingerprint, passive', () => {
    const read = readOffer(offer(), CAPS);
    const answer = sdpTransform.parse(writeAnswer(read, TRANSPORT));
    expect(answer.icelite).toBe('ice-lite');
    expect(answer.groups).toEqual([{ type: 'BUNDLE', mids: '0 1' }]);
    expect(answer.fingerprint?.hash).toBe(TRANSPORT.dtlsParameters.fingerprints[0]?.value.toUpperCase());
    expect(answer.media.map((m) => [m.type, String(m.mid), m.direction, m.setup])).toEqual([
      ['audio', '0', 'recvonly', 'passive'],
      ['video', '1', 'recvonly', 'passive'],
    ]);
    const video = answer.media[1];
    expect(video?.rtp.map((r) => r.codec)).toEqual(['VP8', 'rtx']);
    expect(video?.iceUfrag).toBe('server-ufrag');
    expect(video?.candidates?.[0]).toMatchObject({
      ip: '127.0.0.1',
      port: 40001,
      transport: 'udp',
      type: 'host',
    });
  });

  it('tells trickled candidates from an ICE restart in a PATCH fragment', () => {
    expect(fragmentIceUfrag('a=candidate:1 1 udp 1 10.0.0.1 5000 typ host\r\n')).toBeUndefined();
    expect(
      fragmentIceUfrag(
        'a=ice-ufrag:new1\r\na=ice-pwd:newpasswordnewpassword\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n',
      ),
    ).toBe('new1');
  });
});
