import { randomBytes } from 'node:crypto';
import { copyFile, link, rename, unlink, writeFile } from 'node:fs/promises';

/** Readers (the HLS origin, a successor process) see the old file or the new one, never half. */
export async function writeAtomic(file: string, content: string): Promise<void> {
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
