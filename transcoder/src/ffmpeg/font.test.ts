import { access } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { fontOption } from './font.js';

describe('the compositor font', () => {
  it('is the file fontconfig picks for Sans, found once per process', async () => {
    const font = await fontOption();
    expect(font).toMatch(/^fontfile=\//);
    await access(font.slice('fontfile='.length));
    expect(await fontOption()).toBe(font);
  });
});
