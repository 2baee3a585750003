/** The RTP header fields the relay reads and rewrites (RFC 3550 §5.1). */
export interface RtpHeader {
  payloadType: number;
  marker: boolean;
  sequence: number;
  timestamp: number;
  ssrc: number;
  /** Where the payload starts (after CSRCs and the header extension). */
  payloadOffset: number;
}

/** Reads an RTP packet's header; null for anything that is not RTP version 2. */
export function parseRtp(packet: Uint8Array): RtpHeader | null {
  if (packet.length < 12 || packet[0]! >> 6 !== 2) return null;
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const csrcs = packet[0]! & 0x0f;
  let offset = 12 + 4 * csrcs;
  if (packet[0]! & 0x10) {
    if (packet.length < offset + 4) return null;
    offset += 4 + 4 * view.getUint16(offset + 2);
  }
  if (offset > packet.length) return null;
  const payloadType = packet[1]! & 0x7f;
  // RTCP sent to an RTP port (SR 200 … 207 read as marker + payload type 72 … 79).
  if (payloadType >= 72 && payloadType <= 79) return null;
  return {
    payloadType,
    marker: (packet[1]! & 0x80) !== 0,
    sequence: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    payloadOffset: offset,
  };
}

/** A copy of `packet` with new payload type, sequence number, timestamp and SSRC. */
export function rewriteRtp(
  packet: Uint8Array,
  fields: { payloadType: number; sequence: number; timestamp: number; ssrc: number },
): Buffer {
  const out = Buffer.from(packet);
  out[1] = (out[1]! & 0x80) | (fields.payloadType & 0x7f);
  out.writeUInt16BE(fields.sequence & 0xffff, 2);
  out.writeUInt32BE(fields.timestamp >>> 0, 4);
  out.writeUInt32BE(fields.ssrc >>> 0, 8);
  return out;
}

/** A minimal RTP packet (no CSRC, no extension) around `payload`. */
export function buildRtp(
  fields: { payloadType: number; marker: boolean; sequence: number; timestamp: number; ssrc: number },
  payload: Uint8Array,
): Buffer {
  const out = Buffer.alloc(12 + payload.length);
  out[0] = 0x80;
  out[1] = (fields.marker ? 0x80 : 0) | (fields.payloadType & 0x7f);
  out.writeUInt16BE(fields.sequence & 0xffff, 2);
  out.writeUInt32BE(fields.timestamp >>> 0, 4);
  out.writeUInt32BE(fields.ssrc >>> 0, 8);
  out.set(payload, 12);
  return out;
}

/**
 * Whether this VP8 packet starts a key frame (RFC 7741 §4.2–4.3): the payload descriptor's S
 * bit with partition 0, and the P bit of the frame header clear. Only there can a decoder
 * start, so a slot switches to a new source exactly at such a packet.
 */
export function isVp8KeyFrameStart(packet: Uint8Array, header: RtpHeader): boolean {
  let i = header.payloadOffset;
  const first = packet[i];
  if (first === undefined) return false;
  const start = (first & 0x10) !== 0 && (first & 0x07) === 0;
  if (!start) return false;
  i++;
  if (first & 0x80) {
    const ext = packet[i++];
    if (ext === undefined) return false;
    if (ext & 0x80) i += (packet[i] ?? 0) & 0x80 ? 2 : 1; // PictureID, 7 or 15 bits
    if (ext & 0x40) i++; // TL0PICIDX
    if (ext & 0x30) i++; // TID / KEYIDX
  }
  const frameHeader = packet[i];
  return frameHeader !== undefined && (frameHeader & 0x01) === 0;
}

/** H.264 NAL unit types a decoder can start at: an IDR slice, or the SPS sent before one. */
const H264_IDR = 5;
const H264_SPS = 7;
const H264_STAP_A = 24;
const H264_FU_A = 28;
const isH264Start = (nalType: number): boolean => nalType === H264_IDR || nalType === H264_SPS;

/**
 * Whether this H.264 packet (RFC 6184, packetization-mode 1) starts a key frame: a single NAL
 * unit, one NAL unit of a STAP-A, or the first fragment (FU-A with the S bit) of an IDR slice
 * or an SPS. Senders put SPS and PPS first (WebRTC in a STAP-A before the IDR), so the slot
 * switches at the SPS and the decoder gets the parameter sets the new source's slices need.
 */
export function isH264KeyFrameStart(packet: Uint8Array, header: RtpHeader): boolean {
  const i = header.payloadOffset;
  const first = packet[i];
  if (first === undefined) return false;
  const type = first & 0x1f;
  if (type === H264_FU_A) {
    const fu = packet[i + 1];
    return fu !== undefined && (fu & 0x80) !== 0 && isH264Start(fu & 0x1f);
  }
  if (type !== H264_STAP_A) return isH264Start(type);
  return stapAUnits(packet.subarray(i)).some((unit) => isH264Start(unit[0]! & 0x1f));
}

/** The NAL units of a STAP-A payload (RFC 6184 §5.7.1: each after its 16-bit size), up to one that does not fit. */
export function stapAUnits(payload: Uint8Array): Uint8Array[] {
  const units: Uint8Array[] = [];
  for (let at = 1; at + 2 < payload.length;) {
    const size = (payload[at]! << 8) | payload[at + 1]!;
    if (size === 0 || at + 2 + size > payload.length) break;
    units.push(payload.subarray(at + 2, at + 2 + size));
    at += 2 + size;
  }
  return units;
}
