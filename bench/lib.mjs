// Shared helpers of the benchmarks: machine facts, percentiles, and writing results as
// JSON, a markdown table and a PNG chart (rendered by headless Chromium from an SVG).
import { cpus, totalmem, platform, release } from 'node:os';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

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

/**
 * Benchmarks use a Redis database of their own, emptied when a benchmark starts its ingest:
 * their transcoders must not take the jobs of a running Stagecast (or of the tests) on the same Redis.
 */
export const BENCH_REDIS_URL = (() => {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  url.pathname = '/15';
  return url.href;
})();
