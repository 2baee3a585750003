// Chat fan-out: N viewer sockets on one ingest process, held by receiver child processes
// (chatReceiver.mjs, a few hundred sockets each), and hosts in a sender process
// (chatSender.mjs) sending 10 messages per second per room. Reports deliveries per second,
// delivery latency p50/p99 (send to receipt, one machine's wall clock), the ingest process's
// CPU and lost messages: acknowledged messages a connected viewer of the room never received.
// The load generator is out of the ingest process, but on the same machine: a quiet machine
// with cores to spare for the clients gives the figures of the server.
import { fork } from 'node:child_process';
import { startIngest } from './ingestProcess.mjs';
import { cpuSecondsOf, markdownTable, saveSection } from './lib.mjs';

const here = new URL('.', import.meta.url).pathname;
const SIZES = (process.env.BENCH_CHAT_SIZES ?? '1000,3000').split(',').map(Number);
const ROOMS = Number(process.env.BENCH_CHAT_ROOMS ?? 1);
const SECONDS = Number(process.env.BENCH_CHAT_SECONDS ?? 20);
const PER_ROOM_PER_SECOND = 10;
/** Hosts per room taking turns, each within the per-identity limit set below. */
const SENDERS_PER_ROOM = 5;
const SOCKETS_PER_RECEIVER = Number(process.env.BENCH_CHAT_SOCKETS_PER_PROCESS ?? 300);
/** After the last message: time for deliveries still on their way. */
const DRAIN_MS = 3000;

// Every socket comes from 127.0.0.1, and each host sends 2 messages per second: the limits a
// production server sets per address and per person are lifted for the bench (settings that exist).
const BENCH_ENV = {
  STAGECAST_CONNECT_RATE_PER_S: '100000',
  STAGECAST_CONNECT_BURST: '100000',
  STAGECAST_CHAT_RATE_POINTS: String(Math.ceil((PER_ROOM_PER_SECOND / SENDERS_PER_ROOM) * 10 * 2)),
  STAGECAST_CHAT_RATE_WINDOW_S: '10',
};

/** Sends `msg` to a child and resolves with its next answer of `type`. */
function ask(child, msg, type) {
  return new Promise((resolve, reject) => {
    const onMessage = (answer) => {
      if (answer.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(answer);
    };
    const onExit = (code) => reject(new Error(`${type}: child exited with ${code}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(msg);
  });
}

function percentileOf(histogram, p) {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.ceil((p / 100) * total);
  let seen = 0;
  for (let ms = 0; ms < histogram.length; ms++) {
    seen += histogram[ms];
    if (seen >= rank) return ms;
  }
  return histogram.length - 1;
}

async function tokens(ingest, roomId, role, prefix, count) {
  const out = [];
  for (let i = 0; i < count; i += 50) {
    const batch = Array.from({ length: Math.min(50, count - i) }, (_, j) =>
      ingest.api('POST', `/api/rooms/${roomId}/tokens`, { role, name: `${prefix}${i + j}` }),
    );
    out.push(...(await Promise.all(batch)).map((r) => r.token));
  }
  return out;
}

async function runSize(viewers) {
  const ingest = await startIngest(BENCH_ENV);
  const children = [];
  try {
    const roomIds = [];
    for (let r = 0; r < ROOMS; r++)
      roomIds.push((await ingest.api('POST', '/api/rooms', { name: `fanout ${r}` })).id);
    // Viewers spread evenly over the rooms; each receiver process holds sockets of one room.
    const perRoom = roomIds.map((_, r) => Math.floor(viewers / ROOMS) + (r < viewers % ROOMS ? 1 : 0));
    const receivers = [];
    for (const [r, roomId] of roomIds.entries()) {
      const all = await tokens(ingest, roomId, 'viewer', `v${r}-`, perRoom[r]);
      for (let i = 0; i < all.length; i += SOCKETS_PER_RECEIVER) {
        const child = fork(`${here}chatReceiver.mjs`, { stdio: 'inherit' });
        children.push(child);
        receivers.push({ child, room: r, tokens: all.slice(i, i + SOCKETS_PER_RECEIVER) });
      }
    }
    const connected = await Promise.all(
      receivers.map(({ child, tokens: t }) =>
        ask(child, { type: 'connect', url: ingest.url, tokens: t }, 'connected'),
      ),
    );
    const connectedPerRoom = roomIds.map(() => 0);
    connected.forEach((c, i) => (connectedPerRoom[receivers[i].room] += c.connected));
    const failedToConnect = connected.reduce((sum, c) => sum + c.failed, 0);

    const sender = fork(`${here}chatSender.mjs`, { stdio: 'inherit' });
    children.push(sender);
    const senderRooms = [];
    for (const [r, roomId] of roomIds.entries())
      senderRooms.push({ tokens: await tokens(ingest, roomId, 'host', `h${r}-`, SENDERS_PER_ROOM) });
    await ask(sender, { type: 'connect', url: ingest.url, rooms: senderRooms }, 'connected');
    // Hosts joining make notifications too: count from a clean slate.
    await new Promise((r) => setTimeout(r, 1000));
    await Promise.all(receivers.map(({ child }) => ask(child, { type: 'reset' }, 'reset')));

    const cpuStart = cpuSecondsOf(ingest.pid);
    const done = await ask(
      sender,
      { type: 'start', seconds: SECONDS, perRoomPerSecond: PER_ROOM_PER_SECOND },
      'done',
    );
    await new Promise((r) => setTimeout(r, DRAIN_MS));
    const cpu = cpuSecondsOf(ingest.pid) - cpuStart;
    const reports = await Promise.all(receivers.map(({ child }) => ask(child, { type: 'report' }, 'report')));

    const histogram = new Array(reports[0]?.histogram.length ?? 1).fill(0);
    const receivedPerRoom = roomIds.map(() => new Map());
    let deliveries = 0;
    let disconnected = 0;
    reports.forEach((report, i) => {
      report.histogram.forEach((n, ms) => (histogram[ms] += n));
      deliveries += report.deliveries;
      disconnected += report.disconnected;
      const counts = receivedPerRoom[receivers[i].room];
      for (const [id, n] of report.received) counts.set(id, (counts.get(id) ?? 0) + n);
    });
    // Each acknowledged message was owed to every viewer of its room that connected.
    let lost = 0;
    for (const { id, room } of done.acked)
      lost += connectedPerRoom[room] - (receivedPerRoom[room].get(id) ?? 0);
    const sendSeconds = done.sendMs / 1000;
    return {
      viewers,
      rooms: ROOMS,
      connected: connectedPerRoom.reduce((a, b) => a + b, 0),
      failedToConnect,
      disconnectedDuringRun: disconnected,
      messagesAcked: done.acked.length,
      refused: done.refused,
      deliveries,
      deliveriesPerSecond: Math.round(deliveries / sendSeconds),
      lostMessages: lost,
      p50Ms: percentileOf(histogram, 50),
      p99Ms: percentileOf(histogram, 99),
      ingestCpuCores: cpu === null ? null : Number((cpu / (sendSeconds + DRAIN_MS / 1000)).toFixed(2)),
      receiverProcesses: receivers.length,
    };
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
    await ingest.stop();
  }
}

const rows = [];
for (const size of SIZES) {
  const row = await runSize(size);
  rows.push(row);
  console.log(JSON.stringify(row));
}
saveSection('chatFanout', {
  description:
    `${ROOMS} room(s), ${PER_ROOM_PER_SECOND} messages/s per room from ${SENDERS_PER_ROOM} hosts each, for ${SECONDS} s; ` +
    `viewer sockets in receiver processes of ${SOCKETS_PER_RECEIVER}, senders in another process, all on the same machine`,
  rows,
});
console.log(
  markdownTable(rows, [
    { key: 'viewers', label: 'sockets' },
    { key: 'deliveriesPerSecond', label: 'deliveries/s' },
    { key: 'p50Ms', label: 'p50 ms' },
    { key: 'p99Ms', label: 'p99 ms' },
    { key: 'ingestCpuCores', label: 'ingest CPU (cores)' },
    { key: 'lostMessages', label: 'lost' },
  ]),
);
process.exit(0);
