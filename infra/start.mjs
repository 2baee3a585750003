// `npm start`: runs ingest and the transcoder, with Redis and a first room ready to use.
// Plain Node (no build step) because it runs before anything else.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const dataDir = resolve(process.env.STAGECAST_DATA_DIR ?? join(root, 'data'));
const port = Number(process.env.PORT ?? 8080);
mkdirSync(dataDir, { recursive: true });
const say = (msg) => console.log(`[stagecast] ${msg}`);

/**
 * The API secret: from the environment, or generated once and kept in the data directory,
 * readable by its owner only. `generated` says whether this start made it: the secret is
 * printed then, and never again (terminal scrollback and logs outlive a start).
 */
function apiSecret() {
  if (process.env.STAGECAST_API_SECRET) return { secret: process.env.STAGECAST_API_SECRET, file: null };
  const file = join(dataDir, 'api-secret');
  if (existsSync(file)) {
    // A file left by an older start may have been written with the default mode.
    chmodSync(file, 0o600);
    return { secret: readFileSync(file, 'utf8').trim(), file, generated: false };
  }
  // 32 bytes: 43 characters, above ingest's minimum of 32.
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  say(`generated an API secret in ${file}`);
  return { secret, file, generated: true };
}

function redisAnswers(host, redisPort) {
  return new Promise((done) => {
    const socket = createConnection({ host, port: redisPort, timeout: 1000 });
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      socket.destroy();
      done(d.toString().startsWith('+PONG'));
    });
    socket.once('error', () => done(false));
    socket.once('timeout', () => {
      socket.destroy();
      done(false);
    });
  });
}

const children = new Set();
let stopping = false;

/** Runs a process and restarts it when it dies (1 s, then up to 10 s apart). */
function supervise(name, command, args, env) {
  let delay = 1000;
  const run = () => {
    const started = Date.now();
    const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: 'inherit' });
    children.add(child);
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (stopping) return;
      if (Date.now() - started > 30_000) delay = 1000;
      say(`${name} exited (${signal ?? code}); restarting in ${delay / 1000} s`);
      setTimeout(run, delay);
      delay = Math.min(delay * 2, 10_000);
    });
  };
  run();
}

async function ensureRedis() {
  if (process.env.REDIS_URL) return process.env.REDIS_URL;
  if (await redisAnswers('127.0.0.1', 6379)) return 'redis://127.0.0.1:6379';
  const redisPort = 6390;
  const dir = join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  say(`no Redis on 127.0.0.1:6379; starting redis-server on ${redisPort} (data in ${dir})`);
  // infra/redis.conf: append-only file, fsynced before each answer (see the README).
  supervise('redis-server', 'redis-server', [
    join(root, 'infra', 'redis.conf'),
    '--port',
    String(redisPort),
    '--dir',
    dir,
  ]);
  for (let i = 0; i < 50 && !(await redisAnswers('127.0.0.1', redisPort)); i++)
    await new Promise((r) => setTimeout(r, 100));
  return `redis://127.0.0.1:${redisPort}`;
}

async function firstRoom(base, secret) {
  const headers = { authorization: `Bearer ${secret}`, 'content-type': 'application/json' };
  const file = join(dataDir, 'first-room.json');
  if (existsSync(file)) {
    const { id } = JSON.parse(readFileSync(file, 'utf8'));
    const res = await fetch(`${base}/api/rooms/${id}`, { headers });
    if (res.ok) return res.json();
  }
  const res = await fetch(`${base}/api/rooms`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ name: 'My first webinar' }),
  });
  if (!res.ok) throw new Error(`could not create a room: HTTP ${res.status}`);
  const room = await res.json();
  writeFileSync(file, JSON.stringify({ id: room.id }));
  return room;
}

const { secret, file: secretFile, generated } = apiSecret();
const redisUrl = await ensureRedis();
const env = {
  STAGECAST_API_SECRET: secret,
  REDIS_URL: redisUrl,
  STAGECAST_DATA_DIR: dataDir,
  PORT: String(port),
};
supervise('ingest', process.execPath, [join(root, 'ingest/dist/main.js')], env);
supervise('transcoder', process.execPath, [join(root, 'transcoder/dist/main.js')], env);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopping = true;
    for (const child of children) child.kill(signal);
    setTimeout(() => process.exit(0), 8000).unref();
    const wait = setInterval(() => children.size === 0 && process.exit(0), 100);
    wait.unref();
  });
}

const base = process.env.STAGECAST_PUBLIC_URL?.replace(/\/$/, '') ?? `http://localhost:${port}`;
for (let i = 0; i < 300; i++) {
  const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
    (r) => r.ok,
    () => false,
  );
  if (ok) break;
  await new Promise((r) => setTimeout(r, 200));
}
try {
  const room = await firstRoom(`http://127.0.0.1:${port}`, secret);
  say('');
  say(`Stagecast is running on ${base}`);
  if (generated) say(`API secret (Authorization: Bearer …), shown this once: ${secret}`);
  else if (secretFile) say(`API secret (Authorization: Bearer …): in ${secretFile}`);
  else say('API secret (Authorization: Bearer …): STAGECAST_API_SECRET');
  say(`Room "${room.name}" (${room.id}):`);
  say(`  host link:    ${room.links.host}`);
  say(`  co-host link: ${room.links.cohost}`);
  say(`  viewer link:  ${room.links.viewer}`);
  say(`Put a test publisher on stage: npm run bot -- --link ${room.links.cohost}`);
  say('');
} catch (error) {
  say(`ingest did not come up: ${error.message}`);
}
