import { build } from 'esbuild';
import { createRequire } from 'node:module';

let cached: string | undefined;

/** The SDK bundled for the browser as an IIFE exposing `window.Stagecast`. */
export async function sdkBrowserBundle(): Promise<string> {
  if (cached) return cached;
  const entry = createRequire(import.meta.url).resolve('@stagecast/sdk');
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    globalName: 'Stagecast',
    platform: 'browser',
    target: 'chrome120',
    write: false,
    logLevel: 'silent',
  });
  cached = result.outputFiles[0]?.text ?? '';
  return cached;
}
