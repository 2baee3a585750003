import { randomBytes } from 'node:crypto';
import { copyFile, link, readdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Readers (the HLS origin, a successor process) see the old file or the new one, never half. */
export async function writeAtomic(file: string, content: string | Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, file);
}

function code(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** Hard link (free, same disk); a copy when the two paths live on different file systems. */
export async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (error) {
    const c = code(error);
    if (c === 'EEXIST') {
      await unlink(to);
      await link(from, to);
    } else if (c === 'EXDEV' || c === 'EPERM') {
      await copyFile(from, to);
    } else {
      throw error;
    }
  }
}

/** Moves a file, falling back to copy+delete across file systems. */
export async function move(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if (code(error) !== 'EXDEV') throw error;
    await copyFile(from, to);
    await unlink(from);
  }
}

export async function removeQuietly(file: string): Promise<void> {
  await unlink(file).catch(() => undefined);
}

export function isNotFound(error: unknown): boolean {
  return code(error) === 'ENOENT';
}

/** Deletes all but the `count` last files of a directory, by name (names that sort by time). */
export async function keepNewest(dir: string, count: number): Promise<void> {
  const files = (await readdir(dir).catch(() => [] as string[])).sort();
  for (const file of files.slice(0, Math.max(0, files.length - count)))
    await rm(join(dir, file), { force: true });
}
