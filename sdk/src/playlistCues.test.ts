import { describe, expect, it } from 'vitest';
import { CUE_DATERANGE_CLASS } from '@stagecast/protocol';
import { cueOfDateRange } from './playlistCues.js';

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('cueOfDateRange', () => {
  it('reads the name and the JSON payload of a Stagecast cue tag', () => {
    const payload = { question: 'Thé ou café ? "Both"' };
    expect(
      cueOfDateRange({
        id: 'c1',
        class: CUE_DATERANGE_CLASS,
        startDate: 1_000,
        attributes: { 'X-NAME': 'poll', 'X-PAYLOAD': base64(JSON.stringify(payload)) },
      }),
    ).toEqual({ id: 'c1', name: 'poll', payload, at: 1_000 });
  });

  it('ignores other classes and broken payloads', () => {
    const attributes = { 'X-NAME': 'poll', 'X-PAYLOAD': base64('null') };
    expect(cueOfDateRange({ id: 'ad', class: 'com.example.ad', startDate: 1, attributes })).toBeNull();
    expect(
      cueOfDateRange({
        id: 'c2',
        class: CUE_DATERANGE_CLASS,
        startDate: 1,
        attributes: { 'X-NAME': 'poll', 'X-PAYLOAD': base64('{not json') },
      }),
    ).toBeNull();
  });
});
