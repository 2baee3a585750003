import { createServer, type Server as HttpServer } from 'node:http';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { RoomManager } from '../rooms/RoomManager.js';
import type { WorkerPool } from '../media/WorkerPool.js';

/** Prometheus metrics; stage figures are read from the live objects at scrape time. */
export function createMetrics(rooms: RoomManager, pool: WorkerPool): Registry {
  const registry = new Registry();
  // Includes nodejs_eventloop_lag_seconds and process CPU/memory.
  collectDefaultMetrics({ register: registry });
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  const peers = () => rooms.all().flatMap((r) => [...r.peers.values()]);
  gauge('stagecast_rooms', 'Live rooms on this ingest process', () => rooms.all().length);
  gauge('stagecast_peers', 'Connected peers on this ingest process', () => peers().length);
  gauge('stagecast_producers', 'mediasoup producers', () =>
    peers().reduce((n, p) => n + p.producers.size, 0),
  );
  gauge('stagecast_consumers', 'mediasoup consumers of connected peers', () =>
    peers().reduce((n, p) => n + p.consumers.size, 0),
  );
  gauge('stagecast_mediasoup_workers', 'Running mediasoup workers', () => pool.size);
  return registry;
}

/**
 * `/metrics` on a listener of its own (`STAGECAST_METRICS_LISTEN`), open to whoever reaches the
 * address: meant for a private interface the scraper shares.
 */
export async function listenMetrics(registry: Registry, host: string, port: number): Promise<HttpServer> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') return void res.writeHead(404).end();
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
