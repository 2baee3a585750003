import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../../core/logger.js';
import { buildNginxRtmpConf, type NginxRtmpSettings } from './nginxRtmpConf.js';

/** How long nginx may take to listen (it starts in milliseconds; a loaded machine is slow). */
const START_TIMEOUT_MS = 15_000;

/**
 * The RTMP server in front of the ingest: Debian's nginx with nginx-rtmp, a child of this
 * process, configured to ask the ingest about every publisher. Stagecast speaks no RTMP itself.
 */
export class RtmpFront {
  private stopping = false;

  private constructor(
    private readonly nginx: ChildProcess,
    private readonly logger: Logger,
  ) {
    nginx.once('exit', (code, signal) => {
      if (!this.stopping)
        logger.error({ code, signal }, 'the RTMP front (nginx) stopped; RTMP ingest is down');
    });
  }

  static async start(settings: NginxRtmpSettings, logger: Logger): Promise<RtmpFront> {
    await mkdir(settings.dir, { recursive: true });
    const conf = join(settings.dir, 'nginx.conf');
    await writeFile(conf, buildNginxRtmpConf(settings));
    // -e: nginx opens its compiled-in error log before reading the configuration otherwise.
    const nginx = spawn('nginx', ['-p', settings.dir, '-c', conf, '-e', join(settings.dir, 'error.log')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    nginx.stderr
      ?.setEncoding('utf8')
      .on('data', (text: string) => logger.warn({ nginx: text.trim() }, 'RTMP front'));
    const front = new RtmpFront(nginx, logger);
    try {
      await untilListening(nginx, settings.host, settings.port);
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
    if (this.nginx.exitCode !== null || this.nginx.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.nginx.once('exit', () => resolve()));
    this.nginx.kill('SIGTERM');
    const kill = setTimeout(() => this.nginx.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(kill);
  }
}

async function untilListening(nginx: ChildProcess, host: string, port: number): Promise<void> {
  const target = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (nginx.exitCode !== null) throw new Error(`nginx exited with ${nginx.exitCode} (see its error.log)`);
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
