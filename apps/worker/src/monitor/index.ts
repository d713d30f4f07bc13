export * from './alarms.js';
export * from './lag.js';
export * from './levels.js';
export * from './monitor.js';
export * from './prometheus-text.js';
export * from './scrape.js';
