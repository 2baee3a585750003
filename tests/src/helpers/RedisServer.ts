import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { freePort, waitFor } from './servers.js';

/** The product's Redis configuration (append-only file, fsync policy, no eviction). */
const PRODUCT_CONFIG = fileURLToPath(new URL('../../../infra/redis.conf', import.meta.url));

/**
 * A redis-server of a test's own, started with the product's configuration on a fixed port and
 * data directory, so that it can be stopped (SHUTDOWN or SIGKILL) and started again in place.
 */
export class RedisServer {
  private child: ChildProcess | undefined;

  constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  /**
   * A started redis-server on a free port with a new data directory, for a test whose
   * transcoder takes every job of its queue (so it must see only that test's); `remove` ends it.
   */
  static async startOwn(): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), await mkdtemp(join(tmpdir(), 'stagecast-redis-')));
    await server.start();
    return server;
  }

  /** Stops it (SHUTDOWN, else SIGKILL) and deletes its data directory. */
  async remove(): Promise<void> {
    await this.shutdown().catch(() => this.kill());
    await rm(this.dir, { recursive: true, force: true });
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts it and resolves once it answers (after reading its append-only file). */
  async start(): Promise<void> {
    this.child = spawn('redis-server', [PRODUCT_CONFIG, '--port', String(this.port), '--dir', this.dir], {
      stdio: 'ignore',
    });
    await waitFor(() => redisAnswers(this.port), `redis-server on ${this.port} to answer`);
  }

  /** SHUTDOWN, as an operator or a service manager stops it. */
  async shutdown(): Promise<void> {
    const client = new Redis(this.port, '127.0.0.1', { maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    const exited = this.exited();
    // Redis closes the connection instead of answering.
    await client.call('SHUTDOWN').catch(() => undefined);
    client.disconnect();
    await exited;
  }

  /** SIGSTOP: connections stay open and nothing is answered, as when Redis hangs. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  /** SIGCONT after {@link pause}. */
  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** SIGKILL: no chance to write anything more, as in a crash. */
  async kill(): Promise<void> {
    const exited = this.exited();
    this.child?.kill('SIGKILL');
    await exited;
  }

  private exited(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return Promise.resolve();
    return new Promise((resolve) => child.once('exit', () => resolve()));
  }
}

/** Whether a redis-server on 127.0.0.1:`port` answers PING (false while it starts). */
export async function redisAnswers(port: number): Promise<boolean> {
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
  // Refused connections while it starts are expected; connect() rejects with them.
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } finally {
    probe.disconnect();
  }
}
