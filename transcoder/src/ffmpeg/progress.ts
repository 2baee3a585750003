/** FFmpeg's figures from one `-progress` block. */
export interface FfmpegProgress {
  /** Frames encoded so far (first output). */
  frame: number;
  fps: number;
  speed: number;
  bitrateKbps: number;
  /** Media time written so far (ms): with the wall clock it tells how far behind live the output is. */
  outTimeMs: number;
  /** Bytes written to the (first) output so far; grows only while the output takes data. */
  totalSize: number;
}

/**
 * Splits FFmpeg's `-progress pipe:1` output (key=value lines, each block closed by a
 * `progress=` line) into blocks. Keeps the unfinished tail for the next chunk.
 */
export class ProgressParser {
  private tail = '';
  private block = new Map<string, string>();

  /** Feeds a chunk of stdout; returns the blocks it completed. */
  push(chunk: string): FfmpegProgress[] {
    const lines = (this.tail + chunk).split('\n');
    this.tail = lines.pop() ?? '';
    const done: FfmpegProgress[] = [];
    for (const line of lines) {
      const eq = line.indexOf('=');
      if (eq < 0) continue;
      const key = line.slice(0, eq).trim();
      const value = line.slice(eq + 1).trim();
      this.block.set(key, value);
      if (key === 'progress') {
        done.push(toProgress(this.block));
        this.block = new Map();
      }
    }
    return done;
  }
}

const num = (value: string | undefined): number => {
  const n = Number.parseFloat(value ?? '');
  return Number.isFinite(n) ? n : 0;
};

function toProgress(block: Map<string, string>): FfmpegProgress {
  return {
    frame: num(block.get('frame')),
    fps: num(block.get('fps')),
    speed: num(block.get('speed')?.replace(/x$/, '')),
    // "2510.3kbits/s", or N/A while HLS writes through its own files.
    bitrateKbps: num(block.get('bitrate')?.replace(/kbits\/s$/, '')),
    outTimeMs: num(block.get('out_time_us')) / 1000,
    totalSize: num(block.get('total_size')),
  };
}
