import { describe, expect, it } from 'vitest';
import { elsewhereUrl } from './connection.js';
import { StagecastClientError } from './errors.js';

const elsewhere = (ownerUrl?: string) =>
  new StagecastClientError(
    ownerUrl === undefined
      ? { code: 'MEDIA_ELSEWHERE', message: 'elsewhere' }
      : { code: 'MEDIA_ELSEWHERE', message: 'elsewhere', ownerUrl },
  );
const HERE = 'https://ingest-1.example.com';

describe('elsewhereUrl', () => {
  it('follows an http(s) owner other than the current server', () => {
    expect(elsewhereUrl(elsewhere('https://ingest-2.example.com'), HERE)).toBe(
      'https://ingest-2.example.com',
    );
    expect(elsewhereUrl(elsewhere('http://10.0.0.2:3000'), HERE)).toBe('http://10.0.0.2:3000');
  });

  it('never follows the current server, another scheme, a non-URL or another refusal', () => {
    expect(elsewhereUrl(elsewhere(HERE), HERE)).toBeUndefined();
    expect(elsewhereUrl(elsewhere(), HERE)).toBeUndefined();
    for (const url of ['javascript:alert(1)', 'ws://ingest-2.example.com', 'file:///etc/passwd', 'not a url'])
      expect(elsewhereUrl(elsewhere(url), HERE)).toBeUndefined();
    const other = new StagecastClientError({
      code: 'STAGE_FULL',
      message: 'full',
      ownerUrl: 'https://x.example',
    });
    expect(elsewhereUrl(other, HERE)).toBeUndefined();
    expect(elsewhereUrl(new Error('boom'), HERE)).toBeUndefined();
  });
});
