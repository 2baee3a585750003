import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import type { Logger } from '../core/logger.js';
import { TypedEmitter } from '../core/TypedEmitter.js';

export interface WorkerPoolOptions {
  numWorkers: number;
  rtcMinPort: number;
  rtcMaxPort: number;
  logger: Logger;
}

interface WorkerPoolEvents extends Record<string, unknown[]> {
  /** A worker died; its routers are gone. A replacement is being started. */
  workerDied: [worker: types.Worker, error: Error];
}

/** A pool of mediasoup workers, one per core by default; dead workers are replaced. */
export class WorkerPool extends TypedEmitter<WorkerPoolEvents> {
  private readonly workers: types.Worker[] = [];
  /** Routers per worker: the load measure for placing a new room. */
  private readonly load = new Map<types.Worker, number>();
  private closed = false;

  private constructor(private readonly options: WorkerPoolOptions) {
    super(options.logger);
  }

  static async create(options: WorkerPoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(options);
    for (let i = 0; i < options.numWorkers; i++) await pool.spawn();
    return pool;
  }

  get size(): number {
    return this.workers.length;
  }

  pids(): number[] {
    return this.workers.map((w) => w.pid);
  }

  /** Creates a router on the least-loaded worker. */
  async createRouter(mediaCodecs: types.RouterRtpCodecCapability[]): Promise<types.Router> {
    const worker = this.leastLoaded();
    const router = await worker.createRouter({ mediaCodecs });
    this.load.set(worker, (this.load.get(worker) ?? 0) + 1);
    router.observer.once('close', () => {
      if (this.load.has(worker)) this.load.set(worker, Math.max(0, (this.load.get(worker) ?? 1) - 1));
    });
    return router;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const worker of this.workers) worker.close();
    this.workers.length = 0;
    this.load.clear();
    this.removeAllListeners();
  }

  private leastLoaded(): types.Worker {
    let best: types.Worker | undefined;
    for (const worker of this.workers) {
      if (!best || (this.load.get(worker) ?? 0) < (this.load.get(best) ?? 0)) best = worker;
    }
    if (!best) throw new Error('No mediasoup worker is running');
    return best;
  }

  private async spawn(): Promise<void> {
    const { rtcMinPort, rtcMaxPort, logger } = this.options;
    const worker = await mediasoup.createWorker({ logLevel: 'warn', rtcMinPort, rtcMaxPort });
    this.workers.push(worker);
    this.load.set(worker, 0);
    logger.info({ pid: worker.pid }, 'mediasoup worker started');
    worker.on('died', (error) => {
      logger.error({ pid: worker.pid, err: error }, 'mediasoup worker died; replacing it');
      const index = this.workers.indexOf(worker);
      if (index >= 0) this.workers.splice(index, 1);
      this.load.delete(worker);
      this.safeEmit('workerDied', worker, error);
      if (!this.closed) this.respawn();
    });
  }

  private respawn(): void {
    this.spawn().catch((error: unknown) => {
      this.options.logger.error(
        { err: error },
        'could not start a replacement mediasoup worker; retrying in 1 s',
      );
      if (!this.closed) setTimeout(() => this.respawn(), 1000).unref();
    });
  }
}
