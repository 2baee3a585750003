/**
 * The little of ISO BMFF (fragmented MP4) the playlist writer reads: whether a fragment
 * FFmpeg wrote begins with a key frame, and how fragments join into one segment. Pure.
 */

interface Box {
  type: string;
  /** Offset of the box's first byte (its size field). */
  start: number;
  /** Offset of its payload, after the header. */
  body: number;
  end: number;
}

/** The boxes laid one after the other in `buf` between `from` and `to`; stops at a malformed one. */
function boxes(buf: Uint8Array, from = 0, to = buf.length): Box[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Box[] = [];
  let at = from;
  while (at + 8 <= to) {
    let size = view.getUint32(at);
    let header = 8;
    if (size === 1) {
      if (at + 16 > to) break;
      size = Number(view.getBigUint64(at + 8));
      header = 16;
    } else if (size === 0) {
      size = to - at;
    }
    if (size < header || at + size > to) break;
    const type = String.fromCharCode(...buf.subarray(at + 4, at + 8));
    out.push({ type, start: at, body: at + header, end: at + size });
    at += size;
  }
  return out;
}

const child = (buf: Uint8Array, parent: Box, type: string): Box | undefined =>
  boxes(buf, parent.body, parent.end).find((b) => b.type === type);

/** ISO/IEC 14496-12 sample flags: `sample_is_non_sync_sample`. */
const NON_SYNC = 0x10000;

/**
 * The flags of the first sample of one track fragment: trun's first-sample flags, else its
 * first sample's own flags, else tfhd's default; undefined when only the init segment's trex
 * would say (FFmpeg always writes one of the three).
 */
function firstSampleFlags(buf: Uint8Array, traf: Box): number | undefined {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const tfhd = child(buf, traf, 'tfhd');
  const trun = child(buf, traf, 'trun');
  if (!tfhd || !trun || trun.body + 8 > trun.end) return undefined;
  const runFlags = view.getUint32(trun.body) & 0xffffff;
  if (view.getUint32(trun.body + 4) === 0) return undefined;
  let at = trun.body + 8 + (runFlags & 0x1 ? 4 : 0); // data_offset
  if (runFlags & 0x4) return at + 4 <= trun.end ? view.getUint32(at) : undefined;
  if (runFlags & 0x400) {
    at += (runFlags & 0x100 ? 4 : 0) + (runFlags & 0x200 ? 4 : 0); // duration, size
    return at + 4 <= trun.end ? view.getUint32(at) : undefined;
  }
  const fhdFlags = view.getUint32(tfhd.body) & 0xffffff;
  if (!(fhdFlags & 0x20)) return undefined;
  // track_ID, then the optional fields before default_sample_flags.
  let d = tfhd.body + 8;
  if (fhdFlags & 0x1) d += 8; // base_data_offset
  if (fhdFlags & 0x2) d += 4; // sample_description_index
  if (fhdFlags & 0x8) d += 4; // default_sample_duration
  if (fhdFlags & 0x10) d += 4; // default_sample_size
  return d + 4 <= tfhd.end ? view.getUint32(d) : undefined;
}

/**
 * Whether a fragment (styp/sidx/moof/mdat) can be decoded without what precedes it: every
 * track's first sample is a sync sample. Audio samples always are, so this is "the video
 * begins with a key frame". Unknown flags count as not independent.
 */
export function startsWithKeyFrame(fragment: Uint8Array): boolean {
  const moof = boxes(fragment).find((b) => b.type === 'moof');
  if (!moof) return false;
  const trafs = boxes(fragment, moof.body, moof.end).filter((b) => b.type === 'traf');
  return (
    trafs.length > 0 &&
    trafs.every((traf) => {
      const flags = firstSampleFlags(fragment, traf);
      return flags !== undefined && (flags & NON_SYNC) === 0;
    })
  );
}

/**
 * One media segment from consecutive fragments of one stream (they share its init segment):
 * the first fragment's `styp`, then every fragment's movie fragments. Each fragment's `sidx`
 * indexes that fragment alone, so none is kept.
 */
export function joinFragments(fragments: readonly Uint8Array[]): Buffer {
  const parts: Uint8Array[] = [];
  fragments.forEach((fragment, i) => {
    for (const box of boxes(fragment)) {
      if (box.type === 'sidx' || (box.type === 'styp' && i > 0)) continue;
      parts.push(fragment.subarray(box.start, box.end));
    }
  });
  return Buffer.concat(parts);
}
