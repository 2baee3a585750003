// Chat fan-out: N viewer sockets on one ingest process; several hosts send messages; every
// socket timestamps each delivery. Prints deliveries per second, p50/p99 delivery latency
// and the ingest process's CPU. The clients run on the same machine (noted in the output).
import { io } from 'socket.io-client';
import { startIngest } from './ingestProcess.mjs';
import { cpuSecondsOf, markdownTable, percentile, saveSection } from './lib.mjs';

const SIZES = (process.env.BENCH_CHAT_SIZES ?? '1000,3000').split(',').map(Number);
const SENDERS = 20;
const SECONDS = Number(process.env.BENCH_CHAT_SECONDS ?? 10);
// Each sender stays under the default rate limit (5 messages per 10 s per sender).
const SEND_INTERVAL_MS = 2100;

function connectSocket(url, token) {
  return new Promise((resolve, reject) => {
    const socket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

async function runSize(viewers) {
  const ingest = await startIngest();
  const { id } = await ingest.api('POST', '/api/rooms', { name: `fanout ${viewers}` });
  const token = async (role, name) =>
    (await ingest.api('POST', `/api/rooms/${id}/tokens`, { role, name })).token;
  const latencies = [];
  let deliveries = 0;
  const sockets = [];
  for (let i = 0; i < viewers; i += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, viewers - i) }, async (_, j) =>
        connectSocket(ingest.url, await token('viewer', `v${i + j}`)),
      ),
    );
    sockets.push(...batch);
  }
  let measuring = false;
  for (const socket of sockets) {
    socket.on('chat:message', (message) => {
      if (!measuring) return;
      deliveries++;
      const sentAt = Number(message.text.split(' ')[1]);
      latencies.push(Date.now() - sentAt);
    });
  }
  const senders = await Promise.all(
    Array.from({ length: SENDERS }, async (_, i) => connectSocket(ingest.url, await token('host', `h${i}`))),
  );
  let sent = 0;
  let refused = 0;
  const cpuStart = cpuSecondsOf(ingest.pid);
  const started = Date.now();
  measuring = true;
  const timers = senders.map((socket, i) =>
    setTimeout(
      function tick() {
        socket.emit(
          'chat:send',
          { clientId: `${i}-${sent}-${Date.now()}`, text: `t ${Date.now()}` },
          (ack) => {
            if (ack?.ok) sent++;
            else refused++;
          },
        );
        timers[i] = setTimeout(tick, SEND_INTERVAL_MS);
      },
      (i * SEND_INTERVAL_MS) / SENDERS,
    ),
  );
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  for (const t of timers) clearTimeout(t);
  await new Promise((r) => setTimeout(r, 1500));
  measuring = false;
  const elapsed = (Date.now() - started) / 1000;
  const cpu = cpuSecondsOf(ingest.pid) - cpuStart;
  for (const s of [...sockets, ...senders]) s.disconnect();
  await ingest.stop();
  return {
    viewers,
    messagesSent: sent,
    refused,
    deliveries,
    deliveriesPerSecond: Math.round(deliveries / elapsed),
    expectedDeliveries: sent * viewers,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    ingestCpuCores: Number((cpu / elapsed).toFixed(2)),
  };
}

const rows = [];
for (const size of SIZES) {
  const row = await runSize(size);
  rows.push(row);
  console.log(JSON.stringify(row));
}
saveSection('chatFanout', {
  description: `${SENDERS} hosts send a message every ${SEND_INTERVAL_MS} ms each for ${SECONDS} s; clients in the same process on the same machine`,
  rows,
});
console.log(
  markdownTable(rows, [
    { key: 'viewers', label: 'sockets' },
    { key: 'deliveriesPerSecond', label: 'deliveries/s' },
    { key: 'p50Ms', label: 'p50 ms' },
    { key: 'p99Ms', label: 'p99 ms' },
    { key: 'ingestCpuCores', label: 'ingest CPU (cores)' },
  ]),
);
process.exit(0);
