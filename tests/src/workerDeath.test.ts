import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Room } from '@stagecast/sdk';
import { TestIngest, waitFor } from './helpers/servers.js';

let ingest: TestIngest;
const clients: Room[] = [];
beforeAll(async () => {
  ingest = await TestIngest.start({ numWorkers: 1 });
});
afterAll(async () => {
  for (const client of clients) client.close();
  await ingest?.close();
});

it('when a mediasoup worker dies, its rooms tell their clients and a new worker serves new rooms', async () => {
  const { id } = await ingest.createRoom('Doomed');
  const host = await ingest.join(id, 'host', 'Host');
  clients.push(host);
  await host.request('stage:createTransport', { direction: 'send' });
  const closed = new Promise<string>((resolve) => host.on('closed', (reason) => resolve(reason)));

  const [pid] = ingest.server.workerPids();
  if (pid === undefined) throw new Error('no worker');
  process.kill(pid, 'SIGKILL');

  expect(await closed).toBe('worker-died');
  await waitFor(() => {
    const pids = ingest.server.workerPids();
    return pids.length === 1 && pids[0] !== pid;
  }, 'a replacement worker');

  const next = await ingest.createRoom('Fresh');
  const host2 = await ingest.join(next.id, 'host', 'Host 2');
  clients.push(host2);
  const transport = await host2.request('stage:createTransport', { direction: 'send' });
  expect(transport.iceCandidates.length).toBeGreaterThan(0);
  // The same room can be joined again too: it gets a router on the new worker.
  const again = await ingest.join(id, 'host', 'Host again');
  clients.push(again);
  expect((await again.request('stage:capabilities', {})).codecs?.length).toBeGreaterThan(0);
});
