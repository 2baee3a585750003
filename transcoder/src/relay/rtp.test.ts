import { describe, expect, it } from 'vitest';
import { buildRtp, isVp8KeyFrameStart, parseRtp, rewriteRtp, type RtpHeader } from './rtp.js';

const fields = { payloadType: 101, marker: false, sequence: 4660, timestamp: 0x89abcdef, ssrc: 0x01020304 };

/** A raw RTP packet with CSRCs and/or a header extension (RFC 3550 §5.1, §5.3.1). */
function rawRtp(opts: {
  csrcs?: number;
  extWords?: number;
  payload?: number[];
  secondByte?: number;
}): Buffer {
  const csrcs = opts.csrcs ?? 0;
  const ext = opts.extWords;
  const header = Buffer.alloc(12 + 4 * csrcs + (ext === undefined ? 0 : 4 + 4 * ext));
  header[0] = 0x80 | (ext === undefined ? 0 : 0x10) | csrcs;
  header[1] = opts.secondByte ?? 0x80 | 96;
  header.writeUInt16BE(7, 2);
  header.writeUInt32BE(90000, 4);
  header.writeUInt32BE(0xdeadbeef, 8);
  for (let i = 0; i < csrcs; i++) header.writeUInt32BE(1000 + i, 12 + 4 * i);
  if (ext !== undefined) {
    const at = 12 + 4 * csrcs;
    header.writeUInt16BE(0xbede, at);
    header.writeUInt16BE(ext, at + 2);
  }
  return Buffer.concat([header, Buffer.from(opts.payload ?? [0xaa, 0xbb])]);
}

describe('parseRtp', () => {
  it('reads the fixed header', () => {
    const packet = buildRtp({ ...fields, marker: true }, Buffer.from([1, 2, 3]));
    expect(parseRtp(packet)).toEqual({
      payloadType: 101,
      marker: true,
      sequence: 4660,
      timestamp: 0x89abcdef,
      ssrc: 0x01020304,
      payloadOffset: 12,
    });
  });

  it('skips CSRCs', () => {
    const header = parseRtp(rawRtp({ csrcs: 3 }));
    expect(header?.payloadOffset).toBe(24);
    expect(header?.ssrc).toBe(0xdeadbeef);
  });

  it('skips a header extension, with or without CSRCs', () => {
    expect(parseRtp(rawRtp({ extWords: 2 }))?.payloadOffset).toBe(12 + 4 + 8);
    expect(parseRtp(rawRtp({ csrcs: 2, extWords: 1 }))?.payloadOffset).toBe(12 + 8 + 4 + 4);
    expect(parseRtp(rawRtp({ extWords: 0 }))?.payloadOffset).toBe(16);
  });

  it('works on a view into a larger buffer', () => {
    const packet = rawRtp({ csrcs: 1 });
    const big = Buffer.concat([Buffer.alloc(7, 0xff), packet]);
    const header = parseRtp(big.subarray(7));
    expect(header?.sequence).toBe(7);
    expect(header?.timestamp).toBe(90000);
    expect(header?.payloadOffset).toBe(16);
  });

  it('rejects packets that are too short for their header', () => {
    expect(parseRtp(Buffer.alloc(0))).toBeNull();
    expect(parseRtp(Buffer.from([0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0]))).toBeNull(); // 11 bytes
    // CSRC count 2 promises 8 more bytes than there are.
    expect(parseRtp(rawRtp({ csrcs: 2, payload: [] }).subarray(0, 16))).toBeNull();
    // The extension bit is set but its header is cut.
    expect(parseRtp(rawRtp({ extWords: 1, payload: [] }).subarray(0, 14))).toBeNull();
    // The extension says 3 words, 1 is there.
    expect(parseRtp(rawRtp({ extWords: 3, payload: [] }).subarray(0, 20))).toBeNull();
  });

  it('accepts a packet that ends right after its header (empty payload)', () => {
    expect(parseRtp(rawRtp({ csrcs: 1, payload: [] }))?.payloadOffset).toBe(16);
  });

  it('rejects a version other than 2', () => {
    for (const version of [0, 1, 3]) {
      const packet = rawRtp({});
      packet[0] = (version << 6) | (packet[0]! & 0x3f);
      expect(parseRtp(packet)).toBeNull();
    }
  });

  it('rejects RTCP sent to the RTP port (packet types 200 … 207)', () => {
    for (let pt = 200; pt <= 207; pt++) expect(parseRtp(rawRtp({ secondByte: pt }))).toBeNull();
    // Next to that range: real RTP payload types.
    expect(parseRtp(rawRtp({ secondByte: 0x80 | 71 }))?.payloadType).toBe(71);
    expect(parseRtp(rawRtp({ secondByte: 80 }))?.payloadType).toBe(80);
    expect(parseRtp(rawRtp({ secondByte: 111 }))?.marker).toBe(false);
  });
});

describe('rewriteRtp', () => {
  const payload = Buffer.from([9, 8, 7, 6, 5]);
  const next = { payloadType: 96, sequence: 0x1_0005, timestamp: 2 ** 32 + 17, ssrc: 0xfedcba98 };

  it('rewrites payload type, sequence, timestamp and SSRC; keeps marker and payload', () => {
    for (const marker of [true, false]) {
      const original = buildRtp({ ...fields, marker }, payload);
      const out = rewriteRtp(original, next);
      expect(parseRtp(out)).toEqual({
        payloadType: 96,
        marker,
        sequence: 5, // wrapped to 16 bits
        timestamp: 17, // wrapped to 32 bits
        ssrc: 0xfedcba98,
        payloadOffset: 12,
      });
      expect(out.subarray(12)).toEqual(payload);
      expect(out.length).toBe(original.length);
    }
  });

  it('keeps CSRCs and the header extension, and does not touch the input', () => {
    const original = rawRtp({ csrcs: 1, extWords: 1, payload: [1, 2, 3] });
    const copy = Buffer.from(original);
    const out = rewriteRtp(original, next);
    expect(original).toEqual(copy);
    expect(out[0]).toBe(original[0]);
    expect(out.subarray(12)).toEqual(original.subarray(12));
    expect(parseRtp(out)?.payloadOffset).toBe(24);
  });
});

describe('buildRtp', () => {
  it('round-trips through parseRtp', () => {
    const payload = Buffer.from([0x10, 0x00, 0x01]);
    for (const f of [
      fields,
      { payloadType: 111, marker: true, sequence: 65535, timestamp: 2 ** 32 - 1, ssrc: 1 },
      { payloadType: 0, marker: false, sequence: 0, timestamp: 0, ssrc: 2 ** 32 - 1 },
    ]) {
      const packet = buildRtp(f, payload);
      expect(packet.length).toBe(12 + payload.length);
      expect(parseRtp(packet)).toEqual({ ...f, payloadOffset: 12 });
      expect(packet.subarray(12)).toEqual(payload);
    }
  });

  it('wraps out-of-range sequence numbers and timestamps', () => {
    const header = parseRtp(
      buildRtp({ ...fields, sequence: 65536 + 3, timestamp: 2 ** 32 + 9 }, Buffer.alloc(0)),
    );
    expect(header?.sequence).toBe(3);
    expect(header?.timestamp).toBe(9);
  });
});

describe('isVp8KeyFrameStart', () => {
  const vp8 = (...payload: number[]): { packet: Buffer; header: RtpHeader } => {
    const packet = buildRtp(fields, Buffer.from(payload));
    const header = parseRtp(packet);
    if (!header) throw new Error('bad test packet');
    return { packet, header };
  };
  const key = (...payload: number[]): boolean => {
    const { packet, header } = vp8(...payload);
    return isVp8KeyFrameStart(packet, header);
  };
  // VP8 payload header: P bit (bit 0) clear = key frame, set = inter frame.
  const KEY = 0x9c; // 1001 1100: P = 0
  const INTER = 0x9d; // P = 1

  it('a start of partition 0 without extensions: the frame header decides', () => {
    expect(key(0x10, KEY, 0x01, 0x2a)).toBe(true);
    expect(key(0x10, INTER, 0x01, 0x2a)).toBe(false);
    // N (non-reference) bit does not matter.
    expect(key(0x30, KEY)).toBe(true);
  });

  it('not a start: S bit clear, or a later partition', () => {
    expect(key(0x00, KEY)).toBe(false);
    expect(key(0x11, KEY)).toBe(false); // S, PID 1
    expect(key(0x17, KEY)).toBe(false); // S, PID 7
    expect(key(0x80, 0x80, 0x05, KEY)).toBe(false); // X, I, no S
  });

  it('skips a 7-bit PictureID', () => {
    expect(key(0x90, 0x80, 0x05, KEY)).toBe(true);
    expect(key(0x90, 0x80, 0x05, INTER)).toBe(false);
  });

  it('skips a 15-bit PictureID (M bit)', () => {
    // The PictureID's second byte has bit 0 set: read as the frame header it would say "inter".
    expect(key(0x90, 0x80, 0x81, 0x01, KEY)).toBe(true);
    expect(key(0x90, 0x80, 0x81, 0x00, INTER)).toBe(false);
  });

  it('skips TL0PICIDX (L) and the TID/KEYIDX byte (T or K)', () => {
    expect(key(0x90, 0x40, 0x01, KEY)).toBe(true); // L
    expect(key(0x90, 0x40, 0x00, INTER)).toBe(false);
    expect(key(0x90, 0x20, 0x01, KEY)).toBe(true); // T
    expect(key(0x90, 0x10, 0x01, KEY)).toBe(true); // K
    expect(key(0x90, 0x30, 0x01, KEY)).toBe(true); // T and K share one byte
    expect(key(0x90, 0x30, 0x00, INTER)).toBe(false);
  });

  it('skips everything at once: 15-bit PictureID, L, T and K', () => {
    expect(key(0x90, 0xf0, 0x80 | 0x12, 0x35, 0x07, 0xe1, KEY)).toBe(true);
    expect(key(0x90, 0xf0, 0x80 | 0x12, 0x34, 0x06, 0xe0, INTER)).toBe(false);
  });

  it('with X set but an empty extension byte, the next byte is the frame header', () => {
    expect(key(0x90, 0x00, KEY)).toBe(true);
    expect(key(0x90, 0x00, INTER)).toBe(false);
  });

  it('a truncated payload is not a key frame start', () => {
    expect(key()).toBe(false);
    expect(key(0x10)).toBe(false);
    expect(key(0x90)).toBe(false);
    expect(key(0x90, 0x80)).toBe(false);
    expect(key(0x90, 0x80, 0x81, 0x01)).toBe(false);
  });

  it('reads the payload where the header says it starts (after CSRCs)', () => {
    const packet = rawRtp({ csrcs: 2, payload: [0x10, KEY] });
    const header = parseRtp(packet);
    expect(header && isVp8KeyFrameStart(packet, header)).toBe(true);
    const inter = rawRtp({ csrcs: 2, payload: [0x10, INTER] });
    const interHeader = parseRtp(inter);
    expect(interHeader && isVp8KeyFrameStart(inter, interHeader)).toBe(false);
  });
});
