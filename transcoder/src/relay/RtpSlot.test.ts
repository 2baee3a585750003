import { describe, expect, it } from 'vitest';
import { OPUS_SILENCE_PAYLOAD, VP8_FILLER_PAYLOAD } from './fillers.js';
import { isVp8KeyFrameStart } from './rtp.js';
import { KEY_FRAME_RETRY_MS, QUIET_MS } from './RtpSlot.js';
import {
  T0,
  VIDEO_PT,
  AUDIO_PT,
  vp8,
  vp8Cont,
  opus,
  header,
  headers,
  only,
  seqStep,
  tsStep,
  video,
  audio,
  expectContinuous,
} from './testFixtures.js';

describe('RtpSlot filler', () => {
  it('video: black VP8 key frames at about 15 fps, timestamps on the wall clock', () => {
    const h = video();
    // 15 fps whatever the tick: fine ticks, and the relay's 20 ms ticks.
    const fine = h.run(T0 + 2000, 1);
    expect(fine.length).toBeGreaterThanOrEqual(29);
    expect(fine.length).toBeLessThanOrEqual(31);
    const coarse = h.run(T0 + 4000, 20);
    expect(coarse.length).toBeGreaterThanOrEqual(29);
    expect(coarse.length).toBeLessThanOrEqual(31);
    for (const packet of h.raw) {
      const hd = header(packet);
      expect(hd.payloadType).toBe(VIDEO_PT);
      expect(hd.marker).toBe(true);
      expect(packet.subarray(hd.payloadOffset)).toEqual(VP8_FILLER_PAYLOAD);
      expect(isVp8KeyFrameStart(packet, hd)).toBe(true);
    }
    expectContinuous(h.sent);
    // 90 kHz: each step is the time since the previous filler (20 ms ticks: 60 or 80 ms).
    for (let i = 1; i < h.sent.length; i++)
      expect(tsStep(h.sent[i - 1]!, h.sent[i]!)).toBeGreaterThanOrEqual(5000);
    const span = tsStep(h.sent[0]!, h.last());
    expect(span).toBeGreaterThan(3.8 * 90000);
    expect(span).toBeLessThanOrEqual(4 * 90000);
  });

  it('video: the first filler at once (FFmpeg starts on it), then one per frame interval', () => {
    const h = video();
    expect(h.tick(T0 + 20).packets).toHaveLength(1);
    expect(h.tick(T0 + 60).packets).toEqual([]);
    expect(h.tick(T0 + 87).packets).toHaveLength(1);
    expect(h.tick(T0 + 100).packets).toEqual([]);
  });

  it('audio: one 20 ms Opus silence packet per 20 ms, timestamp step 960', () => {
    const h = audio();
    const sent = h.run(T0 + 1000);
    expect(sent).toHaveLength(50);
    expectContinuous(sent);
    for (let i = 1; i < sent.length; i++) expect(tsStep(sent[i - 1]!, sent[i]!)).toBe(960);
    for (const packet of h.raw) {
      const hd = header(packet);
      expect(hd.payloadType).toBe(AUDIO_PT);
      expect(packet.subarray(hd.payloadOffset)).toEqual(OPUS_SILENCE_PAYLOAD);
    }
    // Partial intervals wait for the next tick.
    expect(h.tick(T0 + 1019).packets).toEqual([]);
    expect(h.tick(T0 + 1020).packets).toHaveLength(1);
  });

  it('audio: a late tick catches up with several packets at once', () => {
    const h = audio();
    const first = only(h.tick(T0 + 20));
    const burst = headers(h.tick(T0 + 130)); // 110 ms late: 5 whole packets are due
    expect(burst).toHaveLength(5);
    expectContinuous([first, ...burst]);
    expect(tsStep(first, burst.at(-1)!)).toBe(5 * 960);
    // The 10 ms left over go out with the next packet.
    expect(h.tick(T0 + 140).packets).toHaveLength(1);
  });

  it('audio: after a long stall, skips ahead to the wall clock instead of sending it all', () => {
    const h = audio();
    const first = only(h.tick(T0 + 20));
    const burst = headers(h.tick(T0 + 20 + 3000)); // 150 packets due
    expect(burst).toHaveLength(10);
    expectContinuous([first, ...burst]);
    // The skipped time is in the timestamps: the last packet stands for the wall clock.
    expect(tsStep(first, burst.at(-1)!)).toBe(150 * 960);
    expect(tsStep(first, burst[0]!)).toBe(141 * 960);
    for (let i = 1; i < burst.length; i++) expect(tsStep(burst[i - 1]!, burst[i]!)).toBe(960);
    expect(h.tick(T0 + 3040).packets).toHaveLength(1);
  });
});

describe('RtpSlot sources', () => {
  it('one SSRC and the slot payload type for everything it sends', () => {
    const h = video();
    h.run(T0 + 500);
    h.assign('cam', T0 + 500);
    h.packet('cam', vp8(100, 5000, 'key'), T0 + 510);
    h.packet('cam', vp8(101, 8000, 'inter'), T0 + 543);
    h.run(T0 + 2000);
    h.assign('cam2');
    h.packet('cam2', vp8(7, 1, 'key', 0x777), T0 + 2100);
    expect(h.sent.length).toBeGreaterThan(10);
    expect(new Set(h.sent.map((p) => p.ssrc))).toEqual(new Set([h.slot.ssrc]));
    expect(new Set(h.sent.map((p) => p.payloadType))).toEqual(new Set([VIDEO_PT]));
  });

  it('sequence numbers +1 and timestamps forward across filler → source → filler → another source', () => {
    const h = video();
    h.run(T0 + 300);
    expect(h.assign('a', T0 + 300)).toMatchObject({ changed: true, wantKeyFrame: true });
    let t = T0 + 310;
    let out = h.packet('a', vp8(40000, 123456, 'key'), t);
    expect(out.becameLive).toBe(true);
    expect(h.slot.live).toBe(true);
    for (let i = 1; i <= 10; i++) h.packet('a', vp8(40000 + i, 123456 + 3000 * i, 'inter'), (t += 33));
    // a goes silent; filler resumes, then b is put in.
    h.run(t + QUIET_MS + 200);
    expect(h.slot.live).toBe(false);
    h.assign('b');
    out = h.packet('b', vp8(3, 4_000_000_000, 'key', 0xb), h.now + 15);
    expect(out.becameLive).toBe(true);
    for (let i = 1; i <= 5; i++)
      h.packet('b', vp8(3 + i, 4_000_000_000 + 3000 * i, 'inter', 0xb), h.now + 33);
    expectContinuous(h.sent);
    expect(h.sent.length).toBeGreaterThan(20);
  });

  it('at a switch, the new source is mapped to its arrival on the slot clock', () => {
    const h = video();
    h.run(T0 + 1000);
    const lastFiller = h.last();
    const fillerAt = T0 + 1000; // 20 ms ticks at a 66.7 ms cadence: one falls on 1 s
    h.assign('a');
    // Non-key packets are dropped while waiting; no filler is due yet either.
    expect(h.packet('a', vp8(10, 777, 'inter'), T0 + 1010).packets).toEqual([]);
    const first = only(h.packet('a', vp8(11, 999_999, 'key'), fillerAt + 500));
    expect(seqStep(lastFiller, first)).toBe(1);
    expect(tsStep(lastFiller, first)).toBe(500 * 90);
    // From then on the source's own timing.
    const next = only(h.packet('a', vp8(12, 999_999 + 2970, 'inter'), fillerAt + 530));
    expect(tsStep(first, next)).toBe(2970);
  });

  it('a source right after a filler packet is still one frame later, never at the same time', () => {
    const h = video();
    h.run(T0 + 80);
    const lastFiller = h.last();
    h.assign('a');
    const first = only(h.packet('a', vp8(1, 50, 'key'), T0 + 81));
    expect(tsStep(lastFiller, first)).toBe(3000);
  });

  it('audio: timestamps follow the wall clock into and out of a source', () => {
    const h = audio();
    h.run(T0 + 200);
    const lastFiller = h.last();
    h.assign('mic');
    const first = only(h.packet('mic', opus(9, 55555), T0 + 205));
    // 5 ms after the filler: less than one packet, so one packet later.
    expect(tsStep(lastFiller, first)).toBe(960);
    h.packet('mic', opus(10, 55555 + 960), T0 + 225);
    h.packet('mic', opus(11, 55555 + 1920), T0 + 245);
    const lastSource = h.last();
    h.run(T0 + 245 + QUIET_MS + 20);
    const fillerAfter = h.sent.slice(-10);
    expectContinuous(h.sent);
    // The filler after the source is back on the slot clock (the source ran 15 ms ahead of it).
    expect(tsStep(lastSource, h.last())).toBe(((QUIET_MS + 20 - 20) / 20) * 960);
    expect(fillerAfter.every((p) => p.payloadType === AUDIO_PT)).toBe(true);
  });

  it('video: dropped until the start of a key frame, then live', () => {
    const h = video();
    h.assign('cam');
    expect(h.packet('cam', vp8(1, 1000, 'inter'), T0 + 5)).toEqual({ packets: [] });
    expect(h.packet('cam', vp8Cont(2, 1000), T0 + 6)).toEqual({ packets: [] });
    expect(h.slot.live).toBe(false);
    // Filler goes on while waiting.
    expect(h.tick(T0 + 100).packets).toHaveLength(1);
    const out = h.packet('cam', vp8(3, 4000, 'key'), T0 + 110);
    expect(out.becameLive).toBe(true);
    expect(out.packets).toHaveLength(1);
    expect(h.slot.live).toBe(true);
    // The rest of the key frame and the frames after it all pass; becameLive only once.
    const cont = h.packet('cam', vp8Cont(4, 4000), T0 + 111);
    expect(cont.packets).toHaveLength(1);
    expect(cont.becameLive).toBe(false);
    expect(h.packet('cam', vp8(5, 7000, 'inter'), T0 + 143).packets).toHaveLength(1);
    // No filler while live.
    expect(h.tick(T0 + 300).packets).toEqual([]);
    expectContinuous(h.sent);
  });

  it('the packet goes out unchanged except for its header fields', () => {
    const h = video();
    h.assign('cam');
    const packet = vp8(3, 4000, 'key');
    const out = h.packet('cam', packet, T0 + 10);
    expect(out.packets[0]!.subarray(12)).toEqual(packet.subarray(12));
    expect(header(out.packets[0]!).marker).toBe(true);
  });

  it('audio: live on its first packet; no key frame is asked for', () => {
    const h = audio();
    const assigned = h.assign('mic');
    expect(assigned.changed).toBe(true);
    expect(assigned.wantKeyFrame).toBe(false);
    const out = h.packet('mic', opus(500, 1234), T0 + 3);
    expect(out.becameLive).toBe(true);
    expect(out.packets).toHaveLength(1);
    expect(h.slot.live).toBe(true);
    expect(h.slot.source).toBe('mic');
    expect(h.tick(T0 + 100).packets).toEqual([]);
  });

  it('a reordered late packet passes as it is, but does not move the slot clock', () => {
    const h = video();
    h.assign('cam');
    h.packet('cam', vp8(10, 10_000, 'key'), T0 + 10);
    h.packet('cam', vp8(12, 16_000, 'inter'), T0 + 76);
    const newest = h.last();
    const late = only(h.packet('cam', vp8(11, 13_000, 'inter'), T0 + 80));
    expect(seqStep(late, newest)).toBe(1);
    expect(tsStep(late, newest)).toBe(3000);
    // Filler after the source goes on from the newest packet (not from the late one). The late
    // packet still counts as a sign of life: quiet comes QUIET_MS after it.
    h.run(T0 + 80 + QUIET_MS + 20);
    const filler = h.last();
    expect(seqStep(newest, filler)).toBe(1);
    // The source started one frame after the slot's (untouched) clock start, so the newest
    // packet stands for T0 + 100 ms; the filler is on the clock again.
    expect(tsStep(newest, filler)).toBe((80 + QUIET_MS + 20 - 100) * 90);
  });

  it('packets of another feed, or with no feed assigned, are dropped', () => {
    const h = video();
    expect(h.packet('cam', vp8(1, 1, 'key'), T0 + 1).packets).toEqual([]);
    h.assign('cam');
    expect(h.packet('other', vp8(1, 1, 'key'), T0 + 2).packets).toEqual([]);
    expect(h.slot.live).toBe(false);
    expect(h.packet('cam', vp8(2, 1, 'key'), T0 + 3).becameLive).toBe(true);
    expect(h.packet('other', vp8(3, 9, 'inter'), T0 + 4).packets).toEqual([]);
    // Not RTP at all.
    expect(h.packet('cam', Buffer.from([1, 2, 3]), T0 + 5).packets).toEqual([]);
  });

  it('assigning the same feed again changes nothing; null goes back to filler', () => {
    const h = video();
    h.assign('cam');
    h.packet('cam', vp8(2, 1, 'key'), T0 + 3);
    expect(h.assign('cam', T0 + 4)).toEqual({ packets: [], changed: false });
    expect(h.slot.live).toBe(true);
    const cleared = h.assign(null, T0 + 5);
    expect(cleared).toMatchObject({ changed: true, wantKeyFrame: false });
    expect(h.slot.source).toBeNull();
    expect(h.slot.live).toBe(false);
    expect(h.packet('cam', vp8(3, 3001, 'key'), T0 + 6).packets).toEqual([]);
    expect(h.run(T0 + 500).length).toBeGreaterThan(0);
    expectContinuous(h.sent);
  });
});

describe('RtpSlot quiet sources and key frames', () => {
  it('video: quiet after QUIET_MS without packets; filler resumes and a key frame is wanted', () => {
    const h = video();
    h.assign('cam');
    h.packet('cam', vp8(1, 0, 'key'), T0 + 10);
    expect(h.run(T0 + 10 + QUIET_MS)).toEqual([]);
    const quiet = h.tick(T0 + 10 + QUIET_MS + 1);
    expect(quiet.wentQuiet).toBe(true);
    expect(quiet.wantKeyFrame).toBe(true);
    expect(quiet.packets).toHaveLength(1);
    expect(h.slot.live).toBe(false);
    expect(h.slot.source).toBe('cam');
    // Back only from a key frame.
    expect(h.packet('cam', vp8(2, 3000, 'inter'), T0 + 700).packets).toEqual([]);
    expect(h.packet('cam', vp8(3, 6000, 'key'), T0 + 733).becameLive).toBe(true);
    expectContinuous(h.sent);
  });

  it('audio: quiet too, without asking for a key frame; the next packet is live again', () => {
    const h = audio();
    h.assign('mic');
    h.packet('mic', opus(1, 0), T0 + 10);
    h.run(T0 + 10 + QUIET_MS);
    const quiet = h.tick(T0 + 10 + QUIET_MS + 10);
    expect(quiet.wentQuiet).toBe(true);
    expect(quiet.wantKeyFrame).toBe(false);
    expect(quiet.packets.length).toBeGreaterThan(0);
    expect(h.packet('mic', opus(2, 960), T0 + 700).becameLive).toBe(true);
    expectContinuous(h.sent);
  });

  it('a stalled process is not a quiet source: the stall does not count, a real silence still does', () => {
    const h = video();
    h.assign('cam');
    h.packet('cam', vp8(1, 0, 'key'), T0 + 10);
    h.run(T0 + 100);
    // Nothing ran for 2 s (a busy machine); the camera's packets waited in the socket buffer.
    expect(h.tick(T0 + 2100).wentQuiet).toBeUndefined();
    expect(h.packet('cam', vp8(2, 3000, 'inter'), T0 + 2101).packets).toHaveLength(1);
    expect(h.slot.live).toBe(true);
    h.run(T0 + 2101 + QUIET_MS - 20);
    expect(h.slot.live).toBe(true);
    h.run(T0 + 2101 + QUIET_MS + 40);
    expect(h.slot.live).toBe(false);
  });

  it('asks for a key frame again every KEY_FRAME_RETRY_MS while it waits', () => {
    const h = video();
    const start = T0 + 100;
    expect(h.assign('cam', start).wantKeyFrame).toBe(true);
    const asks: number[] = [];
    for (let t = start + 20; t <= start + 3500; t += 20) if (h.tick(t).wantKeyFrame) asks.push(t - start);
    expect(asks).toEqual([KEY_FRAME_RETRY_MS, 2 * KEY_FRAME_RETRY_MS, 3 * KEY_FRAME_RETRY_MS]);
    // Live: no more asking.
    h.packet('cam', vp8(1, 0, 'key'), start + 3500);
    for (let t = start + 3520; t <= start + 3500 + QUIET_MS; t += 20)
      expect(h.tick(t).wantKeyFrame).toBeFalsy();
  });

  it('an empty slot never asks for key frames', () => {
    const h = video();
    for (let t = T0 + 20; t <= T0 + 5000; t += 20) expect(h.tick(t).wantKeyFrame).toBe(false);
  });

  it('resync() on a live video slot: waiting again for a key frame, and asks for one', () => {
    const h = video();
    h.assign('cam');
    h.packet('cam', vp8(1, 0, 'key'), T0 + 10);
    expect(h.slot.resync(T0 + 20)).toEqual({ packets: [], wantKeyFrame: true });
    expect(h.slot.live).toBe(false);
    expect(h.packet('cam', vp8(2, 3000, 'inter'), T0 + 43).packets).toEqual([]);
    expect(h.tick(T0 + 100).packets).toHaveLength(1); // filler meanwhile
    expect(h.packet('cam', vp8(3, 6000, 'key'), T0 + 110).becameLive).toBe(true);
    expectContinuous(h.sent);
    // Retries continue from the resync.
    const h2 = video();
    h2.assign('cam');
    h2.packet('cam', vp8(1, 0, 'key'), T0 + 10);
    h2.slot.resync(T0 + 500);
    expect(h2.tick(T0 + 500 + KEY_FRAME_RETRY_MS - 1).wantKeyFrame).toBe(false);
    expect(h2.tick(T0 + 500 + KEY_FRAME_RETRY_MS).wantKeyFrame).toBe(true);
  });

  it('resync() does nothing on audio, or on a video slot that is not live', () => {
    const a = audio();
    a.assign('mic');
    a.packet('mic', opus(1, 0), T0 + 10);
    expect(a.slot.resync(T0 + 20)).toEqual({ packets: [] });
    expect(a.slot.live).toBe(true);
    const v = video();
    expect(v.slot.resync(T0 + 1)).toEqual({ packets: [] });
    v.assign('cam');
    expect(v.slot.resync(T0 + 2)).toEqual({ packets: [] });
  });
});

describe('RtpSlot wrap-around', () => {
  it('sequence numbers wrap from 65535 to 0, on filler and on a source', () => {
    const h = audio();
    // Filler until the slot is a few packets before the wrap (the start is random).
    for (let at = T0 + 20; h.sent.length === 0 || h.last().sequence !== 65530; at += 20) h.tick(at);
    h.assign('mic');
    // The source wraps its own sequence numbers too, at another moment.
    let t = h.now;
    for (let i = 0; i < 12; i++) h.packet('mic', opus((65533 + i) & 0xffff, 1000 + 960 * i), (t += 20));
    const live = h.sent.slice(-12);
    expect(live.map((p) => p.sequence)).toEqual([65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3, 4, 5, 6]);
    // After the wrap the slot's clock still moves: filler goes on from the newest packet.
    h.run(t + QUIET_MS + 20);
    expectContinuous(h.sent.slice(-40));
    expect(tsStep(live.at(-1)!, h.last())).toBe(((QUIET_MS + 20) / 20) * 960);
  });

  it('timestamps wrap at 2^32, on filler and on a source', () => {
    const h = video();
    h.run(T0 + 100);
    const start = h.last();
    // Jump the wall clock to 100 ms before this slot's timestamps reach 2^32.
    const toWrapMs = Math.floor((2 ** 32 - start.timestamp) / 90);
    h.tick(h.now + toWrapMs - 100);
    const beforeWrap = h.sent.length - 1;
    expect(h.last().timestamp).toBeGreaterThan(2 ** 32 - 90 * 200);
    h.assign('cam');
    let t = h.now;
    // The source's timestamps wrap as well.
    for (let i = 0; i < 10; i++)
      h.packet('cam', vp8(i, (2 ** 32 - 6000 + 3000 * i) >>> 0, i === 0 ? 'key' : 'inter'), (t += 33));
    const live = h.sent.slice(-10);
    expectContinuous(h.sent.slice(beforeWrap));
    for (let i = 1; i < live.length; i++) expect(tsStep(live[i - 1]!, live[i]!)).toBe(3000);
    expect(live.some((p) => p.timestamp < 90000)).toBe(true);
    // Filler after the wrap follows on from the newest (wrapped) timestamp, on the slot clock.
    h.run(t + QUIET_MS + 20);
    expect(Math.abs(tsStep(live.at(-1)!, h.last()) - (QUIET_MS + 20) * 90)).toBeLessThan(3000);
    expect(h.last().timestamp).toBeLessThan(2 ** 31);
    expectContinuous(h.sent.slice(beforeWrap));
  });
});
