export * from './errors.js';
export * from './roles.js';
export * from './model.js';
export * from './events.js';
export * from './jobs.js';
export * from './hls.js';
export * from './rest.js';
export * from './webhooks.js';
