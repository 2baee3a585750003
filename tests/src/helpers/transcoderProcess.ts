import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const transcoderMain = join(
  dirname(createRequire(import.meta.url).resolve('@stagecast/transcoder/package.json')),
  'dist',
  'main.js',
);

/** A transcoder as its own OS process, as in production (tests kill it with SIGKILL). */
export class TranscoderProcess {
  readonly output: string[] = [];
  private constructor(readonly child: ChildProcess) {
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString());
      if (this.output.length > 2000) this.output.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  static start(env: {
    dataDir: string;
    redisUrl?: string;
    extra?: Record<string, string>;
  }): TranscoderProcess {
    const child = spawn(process.execPath, [transcoderMain], {
      env: {
        ...process.env,
        REDIS_URL: env.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        STAGECAST_DATA_DIR: env.dataDir,
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
        ...env.extra,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // KEEP_TEST_DATA=1 keeps the data directory, and with it what each transcoder said.
    if (process.env.KEEP_TEST_DATA) {
      const log = createWriteStream(join(env.dataDir, `transcoder-${String(child.pid)}.log`));
      child.stdout?.pipe(log);
      child.stderr?.pipe(log);
    }
    return new TranscoderProcess(child);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** SIGKILL: no cleanup at all, as when a machine dies. */
  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  /** SIGTERM: graceful shutdown. */
  async stop(): Promise<void> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.signal('SIGTERM');
    clearTimeout(timer);
  }

  private signal(signal: NodeJS.Signals): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill(signal);
    });
  }
}

/** Pids of a process's children running `command`. */
export function childPids(parent: number, command: string): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(parent), command], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}
