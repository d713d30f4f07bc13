export * from './driver.js';
export * from './spec.js';
export * from './versions.js';
