import { ConfigError, loadConfig, type IngestConfig } from './core/config.js';
import { createLogger } from './core/logger.js';
import { IngestServer } from './Server.js';

let config: IngestConfig;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // The one place that reports without a logger: the log level itself may be what is wrong.
  process.stderr.write(`ingest could not start: ${error.message}\n`);
  process.exit(1);
}
const logger = createLogger(config.logLevel);

process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));

const server = await IngestServer.create(config, logger).catch((error: unknown) => {
  logger.fatal({ err: error }, 'ingest could not start');
  process.exit(1);
});

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    void server.close().then(() => process.exit(0));
  });
}
