// The only file that knows fluent-ffmpeg (archived upstream): swapping it touches nothing else.
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import type { Writable } from 'node:stream';
import ffmpeg from 'fluent-ffmpeg';
import { LogThrottle } from './LogThrottle.js';
import { ProgressParser, type FfmpegProgress } from './progress.js';

export interface FfmpegExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** We asked it to stop (SIGINT / SIGKILL from `stop()`). */
  requested: boolean;
  message?: string;
}

export interface FfmpegRunOptions {
  /** The full argument list (no program name), e.g. from `buildFfmpegArgs`. */
  args: readonly string[];
  /** FFmpeg's working directory: the relative paths in `args` start here. */
  cwd: string;
  /** stderr (FFmpeg's log) is appended here, never to our console. */
  logFile: string;
  /** Defaults to `ffmpeg` on the PATH (the transcoder's config reads FFMPEG_PATH). */
  ffmpegPath?: string;
  onProgress?: (progress: FfmpegProgress) => void;
  /** Each line FFmpeg logs (stderr). */
  onLog?: (line: string) => void;
  onExit?: (exit: FfmpegExit) => void;
  /**
   * Applied to the command line and every log line before they are written or passed on: an
   * argument may hold a secret (a restream URL ends with its stream key).
   */
  redact?: (text: string) => string;
}

/**
 * Linux's setpriv starts FFmpeg with a parent-death signal: a transcoder that is killed
 * (SIGKILL, OOM) takes its FFmpeg processes with it, on whatever host it ran.
 */
const SETPRIV = '/usr/bin/setpriv';
const withParentDeath = existsSync(SETPRIV);

let capabilitiesKnown: Promise<void> | undefined;

/**
 * fluent-ffmpeg checks formats and encoders by running its binary with `-formats` and
 * `-encoders`, and caches the answers for the process; setpriv cannot answer those, so the
 * real binary is asked first.
 */
function knowCapabilities(binary: string): Promise<void> {
  const ask = (query: 'availableFormats' | 'availableEncoders') =>
    new Promise<void>((resolve, reject) => {
      const command = ffmpeg().setFfmpegPath(binary);
      command[query]((error) =>
        error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(),
      );
    });
  capabilitiesKnown ??= ask('availableFormats')
    .then(() => ask('availableEncoders'))
    .catch((error: unknown) => {
      capabilitiesKnown = undefined;
      throw error;
    });
  return capabilitiesKnown;
}

/**
 * Asks FFmpeg for its formats and encoders now (a worker at start-up), so that a takeover does
 * not spend that time before its first FFmpeg.
 */
export async function prepareFfmpeg(ffmpegPath?: string): Promise<void> {
  if (withParentDeath) await knowCapabilities(ffmpegPath ?? 'ffmpeg');
}

function binaryOf(options: FfmpegRunOptions): string {
  return options.ffmpegPath ?? 'ffmpeg';
}

/** One running FFmpeg process, started with an explicit argument array (no shell). */
export class FfmpegProcess {
  private child: ChildProcess | undefined;
  private stopRequested = false;
  private exitInfo: FfmpegExit | null = null;
  private readonly exitWaiters: ((exit: FfmpegExit) => void)[] = [];
  private readonly started: Promise<number>;

  private constructor(private readonly options: FfmpegRunOptions) {
    const args = [...options.args];
    const target = args.pop();
    if (target === undefined || args.length < 2) throw new Error('ffmpeg needs arguments');
    const redact = options.redact ?? ((text: string) => text);
    const log = createWriteStream(options.logFile, { flags: 'a' });
    log.on('error', () => undefined);
    log.write(redact(`# ${new Date().toISOString()} ffmpeg ${options.args.join(' ')}\n`));
    const command = ffmpeg({ cwd: options.cwd, stdoutLines: 1 });
    const binary = binaryOf(options);
    if (withParentDeath) {
      command.setFfmpegPath(SETPRIV);
      // Several arguments at once: fluent-ffmpeg then never splits one at a space.
      command.addOptions('--pdeathsig', 'KILL', binary, ...args);
      // `file:` stops fluent-ffmpeg from putting its own `-y` before setpriv's options (ours has
      // one); a URL (`rtmp://…`) already names its protocol, which does the same.
      command.output(/^[a-z]{2,}:/i.test(target) ? target : `file:${target}`);
    } else {
      command.setFfmpegPath(binary);
      command.addOptions(...args).output(target);
    }
    const parser = new ProgressParser();
    const throttle = new LogThrottle();
    this.started = new Promise((resolve, reject) => {
      command.on('start', () => {
        // fluent-ffmpeg sets ffmpegProc right before 'start'; it is not in its typings.
        const child = (command as unknown as { ffmpegProc?: ChildProcess }).ffmpegProc;
        this.child = child;
        child?.stdout?.setEncoding('utf8');
        // A process that reads no input (or died) must not make our writes throw.
        child?.stdin?.on('error', () => undefined);
        child?.stdout?.on('data', (chunk: string) =>
          parser.push(chunk).forEach((p) => options.onProgress?.(p)),
        );
        child?.once('exit', (code, signal) =>
          this.finish({ code, signal, requested: this.stopRequested }, log),
        );
        resolve(child?.pid ?? -1);
      });
      command.on('stderr', (line: string) => {
        const clean = redact(line);
        const text = throttle.filter(clean, Date.now());
        if (text !== null) log.write(text);
        options.onLog?.(clean);
      });
      command.on('error', (error: Error) => {
        // Once spawned, the child's own 'exit' reports the code; this only covers failing to start.
        if (this.child) return;
        reject(error);
        this.finish({ code: null, signal: null, requested: this.stopRequested, message: error.message }, log);
      });
    });
    command.on('end', () => undefined);
    command.run();
  }

  /** Starts FFmpeg; resolves once the process exists (its pid is known). */
  static async start(options: FfmpegRunOptions): Promise<FfmpegProcess> {
    if (withParentDeath) await knowCapabilities(binaryOf(options));
    const proc = new FfmpegProcess(options);
    await proc.started;
    return proc;
  }

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  get exited(): boolean {
    return this.exitInfo !== null;
  }

  /**
   * FFmpeg's stdin, for a command that reads `pipe:0`; null once it exited. Writes answer
   * false while the pipe is full (`writableLength` tells how much waits).
   */
  get input(): Writable | null {
    const stdin = this.child?.stdin;
    return stdin && !this.exitInfo && !stdin.destroyed ? stdin : null;
  }

  /** Resolves when the process has exited. */
  waitExit(): Promise<FfmpegExit> {
    if (this.exitInfo) return Promise.resolve(this.exitInfo);
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  /**
   * SIGINT: FFmpeg finishes the segment it is writing, writes ENDLIST and exits. SIGKILL after
   * `graceMs` if it hangs (e.g. waiting on an input that never ends).
   */
  async stop(graceMs = 4000): Promise<FfmpegExit> {
    if (this.exitInfo) return this.exitInfo;
    this.stopRequested = true;
    this.child?.kill('SIGINT');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    const exit = await this.waitExit();
    clearTimeout(timer);
    return exit;
  }

  /** SIGKILL at once. */
  kill(): void {
    this.stopRequested = true;
    if (!this.exitInfo) this.child?.kill('SIGKILL');
  }

  private finish(exit: FfmpegExit, log: NodeJS.WritableStream): void {
    if (this.exitInfo) return;
    this.exitInfo = exit;
    log.end(`# exit code=${String(exit.code)} signal=${String(exit.signal)}\n`);
    this.options.onExit?.(exit);
    for (const waiter of this.exitWaiters.splice(0)) waiter(exit);
  }
}
