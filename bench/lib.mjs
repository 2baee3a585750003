// Shared helpers of the benchmarks: machine facts, percentiles, and writing results as
// JSON, a markdown table and a PNG chart (rendered by headless Chromium from an SVG).
import { cpus, totalmem, platform, release } from 'node:os';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { DEFAULT_LADDER } from '@stagecast/protocol';

export const resultsDir = new URL('./results/', import.meta.url).pathname;

export function machine() {
  const list = cpus();
  let ffmpeg = 'unknown';
  try {
    ffmpeg = execFileSync('ffmpeg', ['-version'], { encoding: 'utf8' }).split('\n')[0];
  } catch {
    // FFmpeg missing: the transcoder benchmarks will say so.
  }
  return {
    cpuModel: list[0]?.model ?? 'unknown',
    cpuCount: list.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()}`,
    node: process.version,
    ffmpeg,
    date: new Date().toISOString(),
  };
}

export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

/** CPU seconds (user + system) a process and its children used, from /proc. */
export function cpuSecondsOf(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime, stime, cutime, cstime are fields 14–17 of stat (index 11–14 after the name).
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
    return ticks / 100;
  } catch {
    return null;
  }
}

/** Merges one benchmark's section into bench/results/latest.json. */
export function saveSection(name, section) {
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, 'latest.json');
  const all = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { sections: {} };
  all.machine = machine();
  all.sections[name] = { ...section, measuredAt: new Date().toISOString() };
  writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
  return all;
}

export function markdownTable(rows, columns) {
  const head = `| ${columns.map((c) => c.label).join(' | ')} |`;
  const sep = `| ${columns.map(() => '---').join(' | ')} |`;
  const body = rows.map((r) => `| ${columns.map((c) => String(r[c.key] ?? '—')).join(' | ')} |`);
  return [head, sep, ...body].join('\n');
}

/** The table of a glassToGlass section (glass-to-glass.mjs): HLS classic, HLS LL, stage. */
export function glassTable(s) {
  const rows = [
    { path: 'HLS classic', ...s.classic },
    { path: 'HLS LL', ...s.ll },
    { path: 'stage (WebRTC)', ...s.stage },
  ];
  return markdownTable(rows, [
    { key: 'path', label: 'path' },
    { key: 'frames', label: 'frames read' },
    { key: 'p50Ms', label: 'p50 ms' },
    { key: 'p95Ms', label: 'p95 ms' },
    { key: 'stallRatio', label: 'stall ratio' },
    { key: 'unreadableFrames', label: 'unreadable frames' },
    { key: 'goLiveToFirstFrameMs', label: 'go live → first frame ms' },
    { key: 'goLiveToFirstClockMs', label: 'go live → first clock read ms' },
  ]);
}

/**
 * Benchmarks use a Redis database of their own, emptied when a benchmark starts its ingest:
 * their transcoders must not take the jobs of a running Stagecast (or of the tests) on the same Redis.
 */
export const BENCH_REDIS_URL = (() => {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  url.pathname = '/15';
  return url.href;
})();

// ---- Helpers of the compositor benchmarks (stage-change, compositor-cpu, behind-live) ----

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** What the figures were measured on: `nproc`, the CPU model from /proc/cpuinfo, the load average now. */
export function machineNote() {
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    // nproc missing: os.cpus() counts the same cores.
  }
  let cpuModel = 'unknown';
  try {
    cpuModel =
      readFileSync('/proc/cpuinfo', 'utf8')
        .match(/^model name\s*:\s*(.+)$/m)?.[1]
        ?.trim() ?? 'unknown';
  } catch {
    // Not Linux.
  }
  const [load1, load5, load15] = readFileSync('/proc/loadavg', 'utf8').split(' ').map(Number);
  return { nproc, cpuModel, loadAverage: { load1, load5, load15 } };
}

/** CPU seconds (utime + stime, this process only, not its children) from /proc/<pid>/stat. */
export function cpuSelfSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** CPU seconds of each thread of a process: Map tid → { name, seconds }. */
export function threadSeconds(pid) {
  const out = new Map();
  let tids = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, { name, seconds: (Number(fields[11]) + Number(fields[12])) / CLK_TCK });
    } catch {
      // The thread ended.
    }
  }
  return out;
}

/** Processes that would disturb a measurement: FFmpeg, Chromium, busy loops (anyone's). */
export function disturbingProcesses() {
  try {
    const text = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
    return text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /(^\d+\s+(\S*\/)?ffmpeg\s)|chromium|sh -c while/.test(l))
      .filter((l) => !l.startsWith(`${process.pid} `))
      .map((l) => l.slice(0, 120));
  } catch {
    return [];
  }
}

/**
 * Waits (checking every 30 s, at most 15 min) until the machine is quiet: 1-minute load below
 * `maxLoad` and no FFmpeg, Chromium or busy loop running. Returns what the machine was like,
 * for the results; measures anyway when it never got quiet (and says so).
 * BENCH_NO_WAIT=1 skips the wait.
 */
export async function waitForQuiet({ maxLoad = 1.5, everyMs = 30_000, maxWaitMs = 15 * 60_000 } = {}) {
  const first = machineNote();
  const started = Date.now();
  for (;;) {
    const note = machineNote();
    const strays = disturbingProcesses();
    const quiet = note.loadAverage.load1 < maxLoad && strays.length === 0;
    if (quiet || process.env.BENCH_NO_WAIT === '1' || Date.now() - started >= maxWaitMs) {
      return {
        ...note,
        quiet,
        waitedS: Math.round((Date.now() - started) / 1000),
        loadAverageWhenAsked: first.loadAverage,
        otherProcesses: strays.length,
      };
    }
    console.log(
      `waiting for a quiet machine: load ${note.loadAverage.load1}, ${strays.length} FFmpeg/Chromium/busy-loop process(es)`,
    );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Parses a media playlist: media sequence and segments (uri, duration s, PROGRAM-DATE-TIME ms, discontinuity before it). */
export function parseMediaPlaylist(text) {
  let mediaSequence = 0;
  let duration = null;
  let pdt = null;
  let discontinuity = false;
  const segments = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) mediaSequence = Number(line.slice(22));
    else if (line.startsWith('#EXTINF:')) duration = Number.parseFloat(line.slice(8));
    else if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) pdt = Date.parse(line.slice(25));
    else if (line === '#EXT-X-DISCONTINUITY') discontinuity = true;
    else if (line && !line.startsWith('#')) {
      segments.push({ uri: line, duration, programDateTime: pdt, discontinuity });
      duration = null;
      pdt = null;
      discontinuity = false;
    }
  }
  return {
    mediaSequence,
    segments,
    discontinuityTags: (text.match(/^#EXT-X-DISCONTINUITY$/gm) ?? []).length,
  };
}

/**
 * Polls a live media playlist and notes each new segment once, when it is first listed:
 * { seq, uri, duration, programDateTime, discontinuity, seenAt }. Segments listed at the
 * first poll are `initial` (their seenAt says nothing about delay).
 */
export class PlaylistPoller {
  constructor(url, intervalMs = 100) {
    this.url = url;
    this.intervalMs = intervalMs;
    this.segments = [];
    this.polls = 0;
    this.errors = 0;
    this.seen = new Set();
    this.timer = undefined;
    this.busy = false;
  }

  start() {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      void this.poll().finally(() => (this.busy = false));
    }, this.intervalMs);
    return this;
  }

  stop() {
    clearInterval(this.timer);
  }

  async poll() {
    const res = await fetch(this.url).catch(() => null);
    if (!res?.ok) {
      this.errors++;
      return;
    }
    const text = await res.text();
    const seenAt = Date.now();
    const first = this.polls === 0;
    this.polls++;
    const { mediaSequence, segments } = parseMediaPlaylist(text);
    segments.forEach((s, i) => {
      const seq = mediaSequence + i;
      if (this.seen.has(seq)) return;
      this.seen.add(seq);
      this.segments.push({ seq, ...s, seenAt, initial: first });
    });
  }

  /** Segments that appeared after the first poll. */
  get fresh() {
    return this.segments.filter((s) => !s.initial);
  }
}

/**
 * A busy loop holding one core, bounded by `timeout`, in its own process group so that
 * `stop()` ends the shell and the loop (by the group's id, nothing else).
 */
export function startBusyLoop(seconds = 120) {
  const child = spawn('timeout', [String(seconds), 'sh', '-c', 'while :; do :; done'], {
    stdio: 'ignore',
    detached: true,
  });
  const pgid = child.pid;
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Already over (timeout ended it).
    }
  };
  process.once('exit', stop);
  return { pid: pgid, stop };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Mean, p50, p95, min, max of a list of numbers (null when empty), rounded. */
export function stats(values, digits = 0) {
  const list = values.filter((v) => typeof v === 'number' && Number.isFinite(v));
  if (list.length === 0) return { n: 0, p50: null, p95: null, min: null, max: null, mean: null };
  const round = (v) => Number(v.toFixed(digits));
  return {
    n: list.length,
    p50: round(percentile(list, 50)),
    p95: round(percentile(list, 95)),
    min: round(Math.min(...list)),
    max: round(Math.max(...list)),
    mean: round(list.reduce((s, v) => s + v, 0) / list.length),
  };
}

/** Which code a benchmark ran: the commit, whether the compositor's sources differ from it, when its dist was built. */
export function codeVersion() {
  const root = new URL('..', import.meta.url).pathname;
  const git = (...args) => {
    try {
      return execFileSync('git', ['-C', root, ...args], { encoding: 'utf8' }).trim();
    } catch {
      return null;
    }
  };
  let distBuiltAt = null;
  try {
    distBuiltAt = statSync(join(root, 'transcoder/dist/job/CompositeJob.js')).mtime.toISOString();
  } catch {
    // Not built.
  }
  const dirty = git('status', '--porcelain', '--', 'transcoder/src', 'ingest/src', 'protocol/src');
  return {
    commit: git('rev-parse', '--short', 'HEAD'),
    uncommittedCompositorChanges: dirty ? dirty.split('\n').length : 0,
    transcoderDistBuiltAt: distBuiltAt,
  };
}

/** Machine-wide CPU counters from /proc/stat (seconds): busy (everything but idle and iowait) and steal. */
export function machineCpu() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f;
  return { busy: (user + nice + system + irq + softirq) / CLK_TCK, steal: steal / CLK_TCK, at: Date.now() };
}

/**
 * SIGINT and SIGTERM (Ctrl-C, run.mjs's timeout) end the benchmark through process.exit, so
 * its 'exit' handlers end every process it started (by pid).
 */
export function exitOnSignals() {
  for (const signal of ['SIGINT', 'SIGTERM'])
    process.once(signal, () => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)));
}

/**
 * A compositor job as ingest queues it for its default stage of 9: min(9, 9 + 1) video slots,
 * 9 + 1 audio slots, and `h264` H.264 slots when given.
 */
export function compositeBenchJob(broadcastId, frameRate, h264 = 0) {
  return {
    roomId: 'bench',
    roomName: 'Bench',
    broadcastId,
    startedAt: new Date().toISOString(),
    record: false,
    ladder: [...DEFAULT_LADDER],
    segmentSeconds: 2,
    liveWindow: 6,
    burnClock: false,
    frameRate,
    slots: { video: 9, audio: 10, ...(h264 > 0 ? { h264 } : {}) },
  };
}
