// LL-HLS blocking playlist reload at scale: N clients hold a request for the next part of one
// rendition on one ingest process; a writer then renames the part and the playlist into place.
// Prints the wake-up delay (playlist renamed → response headers at the client, p50/p99) and
// the ingest process's CPU. Clients, writer and ingest share the machine (noted in the output);
// all traffic goes to 127.0.0.1. Needs `npm run build` (ingest and tests/dist).
// BENCH_LLHLS_SIZES (default 1000,2000,5000), BENCH_LLHLS_ROUNDS (default 5).
import { spawnSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { LlHlsWriter } from '../tests/dist/helpers/LlHlsWriter.js';
import { startIngest } from './ingestProcess.mjs';
import {
  cpuSecondsOf,
  exitOnSignals,
  machineNote,
  markdownTable,
  percentile,
  saveSection,
  sleep,
} from './lib.mjs';

const SIZES = (process.env.BENCH_LLHLS_SIZES ?? '1000,2000,5000').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_LLHLS_ROUNDS ?? 5);
const ROOM = 'llbench';
/** Every held request is a socket here and one in ingest: with room for the rest. */
const FDS_NEEDED = Math.max(...SIZES) + 1024;

// Raise the open-file limit once, for this process and the ingest it starts, by re-running
// under a shell that set it (Node cannot change its own limit).
if (!process.env.BENCH_LLHLS_FDS) {
  const soft = Number(spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim());
  if (Number.isFinite(soft) && soft < FDS_NEEDED) {
    const run = spawnSync(
      'sh',
      [
        '-c',
        `ulimit -n ${FDS_NEEDED} && exec "$0" "$1"`,
        process.execPath,
        new URL(import.meta.url).pathname,
      ],
      { stdio: 'inherit', env: { ...process.env, BENCH_LLHLS_FDS: '1' } },
    );
    process.exit(run.status ?? 1);
  }
}
exitOnSignals();

/** One held request: resolves with the time its response headers arrived (performance.now()). */
function hold(agent, port, path) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      const at = performance.now();
      res.resume();
      res.once('end', () => resolve({ at, status: res.statusCode }));
    });
    req.once('error', () => resolve({ at: null, status: 0 }));
    req.end();
  });
}

async function runSize(n, ingest, writer) {
  const port = Number(new URL(ingest.url).port);
  // One connection per held request, as N players would have.
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const delays = [];
  let refused = 0;
  let cpu = 0;
  let wall = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const { msn, part } = writer.lastPart('720p');
    const path = `/hls/${ROOM}/720p/index.m3u8?_HLS_msn=${msn}&_HLS_part=${part + 1}`;
    const answers = [];
    for (let i = 0; i < n; i += 250) {
      for (let j = i; j < Math.min(n, i + 250); j++) answers.push(hold(agent, port, path));
      await sleep(20);
    }
    // Time for every request to reach ingest and be held there.
    await sleep(1000 + n / 2);
    const cpuBefore = cpuSecondsOf(ingest.pid);
    await writer.writePart(['720p']);
    const writtenAt = performance.now();
    const results = await Promise.all(answers);
    wall += (performance.now() - writtenAt) / 1000;
    cpu += (cpuSecondsOf(ingest.pid) ?? 0) - (cpuBefore ?? 0);
    for (const { at, status } of results) {
      if (status === 200 && at !== null) delays.push(Math.max(0, at - writtenAt));
      else refused += 1;
    }
    await writer.writePart(['360p']);
  }
  agent.destroy();
  return {
    requests: n,
    rounds: ROUNDS,
    answered: delays.length,
    refused,
    p50Ms: Math.round(percentile(delays, 50)),
    p99Ms: Math.round(percentile(delays, 99)),
    maxMs: Math.round(percentile(delays, 100)),
    ingestCpuSecondsPerWake: Number((cpu / ROUNDS).toFixed(3)),
    ingestCores: wall > 0 ? Number((cpu / wall).toFixed(2)) : null,
  };
}

const machine = machineNote();
const rows = [];
for (const n of SIZES) {
  const ingest = await startIngest({
    STAGECAST_HLS_MAX_HELD: String(n * 2),
    STAGECAST_HLS_MAX_HELD_PER_IP: String(n * 2),
  });
  try {
    const writer = await LlHlsWriter.create({ dir: join(ingest.dataDir, 'hls', ROOM) });
    await writer.writePart();
    rows.push(await runSize(n, ingest, writer));
    console.log(JSON.stringify(rows.at(-1)));
  } finally {
    await ingest.stop();
  }
}
const columns = [
  { key: 'requests', label: 'held requests' },
  { key: 'p50Ms', label: 'wake-up p50 ms' },
  { key: 'p99Ms', label: 'wake-up p99 ms' },
  { key: 'refused', label: 'not answered' },
  { key: 'ingestCpuSecondsPerWake', label: 'ingest CPU s per wake-up' },
];
console.log(markdownTable(rows, columns));
saveSection('llhlsBlocking', {
  description:
    `N clients on 127.0.0.1 each hold \`?_HLS_msn&_HLS_part\` for the next part of one rendition on one ingest; ` +
    `the delay runs from the writer's rename of the playlist to the response headers at the client, ` +
    `${ROUNDS} rounds per size. Clients, writer and ingest share ${machine.nproc} cores ` +
    `(load ${machine.loadAverage.load1} at the start).`,
  machine,
  rows,
});
