export { IngestServer } from './Server.js';
export { ConfigError, loadConfig, type IngestConfig } from './core/config.js';
export { createLogger } from './core/logger.js';
export { TokenService } from './rooms/TokenService.js';
