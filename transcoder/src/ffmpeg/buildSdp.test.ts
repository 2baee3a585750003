import { describe, expect, it } from 'vitest';
import type { RtpInput } from '@stagecast/protocol';
import { buildSdp, buildSlotsSdp, slotInput } from './buildSdp.js';
import { slotCodecs } from '../relay/slotCodecs.js';

const vp8: RtpInput = {
  producerId: 'prod-v',
  kind: 'video',
  codec: 'VP8',
  payloadType: 101,
  clockRate: 90000,
  ssrc: 1111,
  rtpPort: 40000,
  rtcpPort: 40001,
};
const opus: RtpInput = {
  producerId: 'prod-a',
  kind: 'audio',
  codec: 'opus',
  payloadType: 100,
  clockRate: 48000,
  channels: 2,
  ssrc: 2222,
  fmtp: 'minptime=10;useinbandfec=1',
  rtpPort: 40002,
  rtcpPort: 40003,
};

describe('buildSdp', () => {
  it('VP8 video', () => {
    expect(buildSdp(vp8)).toBe(
      [
        'v=0',
        'o=- 0 0 IN IP4 127.0.0.1',
        's=stagecast prod-v',
        'c=IN IP4 127.0.0.1',
        't=0 0',
        'm=video 40000 RTP/AVP 101',
        'a=rtcp:40001',
        'a=rtpmap:101 VP8/90000',
        'a=recvonly',
        '',
      ].join('\n'),
    );
  });

  it('Opus audio with channels and fmtp, on another host', () => {
    expect(buildSdp(opus, '10.0.0.5')).toBe(
      [
        'v=0',
        'o=- 0 0 IN IP4 10.0.0.5',
        's=stagecast prod-a',
        'c=IN IP4 10.0.0.5',
        't=0 0',
        'm=audio 40002 RTP/AVP 100',
        'a=rtcp:40003',
        'a=rtpmap:100 opus/48000/2',
        'a=fmtp:100 minptime=10;useinbandfec=1',
        'a=recvonly',
        '',
      ].join('\n'),
    );
  });

  it('refuses values that would inject SDP lines', () => {
    expect(() => buildSdp({ ...vp8, codec: 'VP8/90000\na=evil' })).toThrow(/codec/);
    expect(() => buildSdp({ ...opus, fmtp: 'x=1\r\nm=video 1 RTP/AVP 96' })).toThrow(/fmtp/);
    expect(() => buildSdp({ ...vp8, rtpPort: 70000 })).toThrow(/RTP port/);
  });

  it('all slots in one SDP: one session, a media section per slot in order', () => {
    const sdp = buildSlotsSdp([vp8, opus]);
    expect(sdp.match(/^v=0$/gm)).toHaveLength(1);
    expect(sdp.match(/^m=/gm)).toEqual(['m=', 'm=']);
    expect(sdp.indexOf('m=video 40000 RTP/AVP 101')).toBeLessThan(sdp.indexOf('m=audio 40002 RTP/AVP 100'));
    expect(sdp).toContain('a=rtpmap:100 opus/48000/2');
    expect(() => buildSlotsSdp([vp8, { ...opus, codec: 'op us' }])).toThrow(/bad codec/);
  });

  it('the compositor’s slots: VP8 video, then H.264 (packetization-mode 1), then Opus', () => {
    const codecs = slotCodecs({ video: 1, audio: 1, h264: 1 });
    let port = 50000;
    const inputs = [...codecs.video, ...codecs.audio].map((codec, k) =>
      slotInput(codec, k, 100 + k, { rtpPort: port++, rtcpPort: port++ }),
    );
    expect(buildSlotsSdp(inputs)).toBe(
      [
        'v=0',
        'o=- 0 0 IN IP4 127.0.0.1',
        's=stagecast compositor slots',
        'c=IN IP4 127.0.0.1',
        't=0 0',
        'm=video 50000 RTP/AVP 96',
        'a=rtcp:50001',
        'a=rtpmap:96 VP8/90000',
        'a=recvonly',
        'm=video 50002 RTP/AVP 102',
        'a=rtcp:50003',
        'a=rtpmap:102 H264/90000',
        'a=fmtp:102 packetization-mode=1',
        'a=recvonly',
        'm=audio 50004 RTP/AVP 111',
        'a=rtcp:50005',
        'a=rtpmap:111 opus/48000/2',
        'a=recvonly',
        '',
      ].join('\n'),
    );
  });
});
