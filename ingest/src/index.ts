export { IngestServer } from './Server.js';
export { loadConfig, type IngestConfig } from './core/config.js';
export { createLogger } from './core/logger.js';
export { TokenService } from './rooms/TokenService.js';
