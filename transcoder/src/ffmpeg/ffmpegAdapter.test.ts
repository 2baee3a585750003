import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The built adapter: the parent must be a separate Node process that can be SIGKILLed. */
const ADAPTER = fileURLToPath(new URL('../../dist/ffmpeg/ffmpegAdapter.js', import.meta.url));

/** R, S…; null once the process is gone or a zombie (nobody may reap it here). */
async function runningState(pid: number): Promise<string | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state === '' || state === 'Z' || state === 'X' ? null : state;
}

describe('FfmpegProcess', () => {
  it('dies with the process that started it (SIGKILL leaves no FFmpeg behind)', async () => {
    expect(
      existsSync(ADAPTER),
      `${ADAPTER} is built by \`npm run build\` (turbo runs it before the tests)`,
    ).toBe(true);
    const script = `
      const { FfmpegProcess } = await import(${JSON.stringify(ADAPTER)});
      // Quiet like a session's: an FFmpeg that keeps logging to the dead parent's pipe may exit anyway.
      const ffmpeg = await FfmpegProcess.start({ args: ['-nostdin', '-loglevel', 'level+warning', '-nostats', '-progress', 'pipe:1', '-stats_period', '1', '-filter_complex', 'testsrc=rate=10,realtime', '-f', 'null', '/dev/null'], cwd: '/tmp', logFile: '/dev/null' });
      console.log(ffmpeg.pid);`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
      parent.once('exit', (code) => reject(new Error(`the parent exited first (${String(code)})`)));
    });
    expect(await runningState(pid)).not.toBeNull();
    parent.kill('SIGKILL');
    const deadline = Date.now() + 5000;
    while ((await runningState(pid)) !== null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(await runningState(pid)).toBeNull();
  });
});
