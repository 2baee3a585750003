export { IngestServer } from './Server.js';
export { loadConfig, type IngestConfig } from './config.js';
export { createLogger } from './logger.js';
export { TokenService } from './rooms/TokenService.js';
