import { build } from 'esbuild';
import { createRequire } from 'node:module';

let cached: string | undefined;

/** The SDK, both entries (core and stage), bundled for the browser as an IIFE exposing `window.Stagecast`. */
export async function sdkBrowserBundle(): Promise<string> {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const entries = [require.resolve('@stagecast/sdk'), require.resolve('@stagecast/sdk/stage')];
  const result = await build({
    stdin: {
      contents: entries.map((entry) => `export * from ${JSON.stringify(entry)};`).join('\n'),
      resolveDir: process.cwd(),
    },
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
