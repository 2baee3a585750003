// Starts a transcoder as its own process next to a bench ingest.
import { spawn, execFileSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_REDIS_URL } from './lib.mjs';

const root = new URL('..', import.meta.url).pathname;

/**
 * `capture`: the transcoder's log (pino JSON lines) is kept in `lines` and in
 * `<dataDir>/transcoder-<pid>.log` instead of the console; warnings and errors are still
 * printed. Benchmarks use it to report what the compositor said (quality steps, restarts).
 */
export function startTranscoder(dataDir, extraEnv = {}, { capture = false } = {}) {
  const child = spawn(process.execPath, [join(root, 'transcoder/dist/main.js')], {
    env: {
      ...process.env,
      REDIS_URL: BENCH_REDIS_URL,
      STAGECAST_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      ...extraEnv,
    },
    stdio: ['ignore', capture ? 'pipe' : 'inherit', capture ? 'pipe' : 'inherit'],
  });
  const lines = [];
  if (capture) {
    const logFile = join(dataDir, `transcoder-${child.pid}.log`);
    let pending = '';
    const onData = (chunk) => {
      const parts = (pending + chunk).split('\n');
      pending = parts.pop() ?? '';
      for (const line of parts) {
        if (!line.trim()) continue;
        lines.push(line);
        appendFileSync(logFile, `${line}\n`);
        let level = 50;
        try {
          level = JSON.parse(line).level ?? 50;
        } catch {
          // Not JSON (a crash trace): print it.
        }
        if (level >= 40) process.stderr.write(`[transcoder] ${line}\n`);
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
  }
  let exited = false;
  child.once('exit', () => (exited = true));
  return {
    pid: child.pid,
    /** The log lines (with `capture`). */
    lines,
    /** Pids of the FFmpeg processes this transcoder runs now. */
    ffmpegPids() {
      try {
        return execFileSync('pgrep', ['-P', String(child.pid), 'ffmpeg'], { encoding: 'utf8' })
          .trim()
          .split('\n')
          .filter(Boolean)
          .map(Number);
      } catch {
        return [];
      }
    },
    stop: () =>
      new Promise((resolve) => {
        if (exited) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
        // A transcoder that hangs on shutdown is ended by its pid.
        setTimeout(() => !exited && child.kill('SIGKILL'), 15_000).unref();
      }),
  };
}
