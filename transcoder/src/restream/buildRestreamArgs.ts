/**
 * The FFmpeg command line of one restream destination (without the program name). Pure:
 * the golden test pins every flag. FFmpeg reads the top rung as the compositor already
 * encoded it (its fMP4 init segment, then each part as it is published) on stdin and copies
 * H.264 and AAC into FLV over RTMP(S): no decoding, no encoding.
 */
export function buildRestreamArgs(target: string): string[] {
  // Flag/value pairs, one per line, each with its reason (see buildFfmpegArgs).
  // prettier-ignore
  return [
    '-hide_banner',
    '-loglevel', 'level+warning', // errors carry the reason a destination failed
    '-nostats',
    '-progress', 'pipe:1', // total_size grows only while the destination takes data: that is `live`
    '-stats_period', '1',
    // The input is a pipe fed at the pace parts are published: probing more than the init
    // segment's codec parameters would only hold the first part back.
    '-probesize', '32768',
    '-analyzeduration', '0',
    '-f', 'mp4', // fragmented MP4: the init segment, then moof/mdat fragments
    '-i', 'pipe:0',
    '-map', '0:v:0',
    '-map', '0:a:0',
    '-c', 'copy', // the top rung as encoded: a few % of a core however many destinations
    '-f', 'flv',
    // Duration and size are unknown on a live stream; FFmpeg would seek back to write them.
    '-flvflags', 'no_duration_filesize',
    '-rtmp_live', 'live', // a live stream, not a file the server may ask to seek in
    target,
  ];
}
