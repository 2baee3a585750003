import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../../core/logger.js';
import { buildNginxRtmpConf, rtmpPlayHost, type NginxRtmpSettings } from './nginxRtmpConf.js';

/** How long nginx may take to listen (it starts in milliseconds; a loaded machine is slow). */
const START_TIMEOUT_MS = 15_000;
/** Waits before restarting an nginx that stopped: 1, 2, 4 … s, at most this. */
const RESTART_MAX_DELAY_MS = 30_000;
/** An nginx that listened this long counts as healthy again: the next restart waits 1 s. */
const HEALTHY_AFTER_MS = 60_000;

/**
 * The RTMP server in front of the ingest: Debian's nginx with nginx-rtmp, a child of this
 * process, configured to ask the ingest about every publisher. Stagecast speaks no RTMP itself.
 *
 * An nginx that stops by itself (killed, crashed) is started again, with growing waits, for as
 * long as the ingest runs: encoders such as OBS reconnect by themselves, so RTMP ingest comes
 * back without anyone restarting the ingest.
 */
export class RtmpFront {
  private nginx: ChildProcess | null = null;
  private stopping = false;
  private restarts = 0;
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly settings: NginxRtmpSettings,
    private readonly conf: string,
    private readonly logger: Logger,
  ) {}

  static async start(settings: NginxRtmpSettings, logger: Logger): Promise<RtmpFront> {
    await mkdir(settings.dir, { recursive: true });
    const conf = join(settings.dir, 'nginx.conf');
    await writeFile(conf, buildNginxRtmpConf(settings));
    const front = new RtmpFront(settings, conf, logger);
    try {
      await front.launch();
    } catch (error) {
      await front.close();
      throw error;
    }
    logger.info({ port: settings.port }, 'RTMP ingest listening');
    return front;
  }

  /** Stops nginx (its publishers are cut off); idempotent. */
  async close(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const nginx = this.nginx;
    if (!nginx || nginx.exitCode !== null || nginx.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => nginx.once('exit', () => resolve()));
    nginx.kill('SIGTERM');
    const kill = setTimeout(() => killGroup(nginx, 'SIGKILL'), 5_000);
    await exited;
    clearTimeout(kill);
  }

  /** Starts nginx and resolves once it listens. */
  private async launch(): Promise<void> {
    const { dir, host, port } = this.settings;
    // -e: nginx opens its compiled-in error log before reading the configuration otherwise.
    // Its own process group: if the master dies, its worker (which holds the port) goes with it.
    const nginx = spawn('nginx', ['-p', dir, '-c', this.conf, '-e', join(dir, 'error.log')], {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    this.nginx = nginx;
    this.startedAt = 0;
    nginx.stderr
      ?.setEncoding('utf8')
      .on('data', (text: string) => this.logger.warn({ nginx: text.trim() }, 'RTMP front'));
    nginx.once('exit', (code, signal) => this.exited(nginx, code, signal));
    await untilListening(nginx, host, port);
    this.startedAt = Date.now();
  }

  private exited(nginx: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    killGroup(nginx, 'SIGKILL');
    if (this.stopping || this.nginx !== nginx) return;
    this.nginx = null;
    if (this.startedAt > 0 && Date.now() - this.startedAt > HEALTHY_AFTER_MS) this.restarts = 0;
    this.startedAt = 0;
    const delayMs = Math.min(1000 * 2 ** this.restarts, RESTART_MAX_DELAY_MS);
    this.restarts += 1;
    this.logger.error(
      { code, signal, restartInMs: delayMs },
      'the RTMP front (nginx) stopped; RTMP ingest is down until it is restarted',
    );
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.launch().then(
        () =>
          this.logger.info({ port: this.settings.port }, 'RTMP front restarted; RTMP ingest listening again'),
        (error: unknown) => {
          this.logger.error({ err: error }, 'the RTMP front could not be restarted');
          // A failed start exits nginx (handled above) or leaves it not listening: stop it to retry.
          const stuck = this.nginx;
          if (stuck && stuck.exitCode === null) stuck.kill('SIGKILL');
        },
      );
    }, delayMs);
  }
}

/** Signals nginx's whole process group (master and workers); quiet if it is gone. */
function killGroup(nginx: ChildProcess, signal: NodeJS.Signals): void {
  if (nginx.pid === undefined) return;
  try {
    process.kill(-nginx.pid, signal);
  } catch {
    // The group is gone already.
  }
}

async function untilListening(nginx: ChildProcess, host: string, port: number): Promise<void> {
  const target = rtmpPlayHost(host);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (nginx.exitCode !== null || nginx.signalCode !== null)
      throw new Error(`nginx exited with ${nginx.exitCode ?? nginx.signalCode} (see its error.log)`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, target);
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nginx did not listen on ${target}:${port} within ${START_TIMEOUT_MS} ms`);
}
