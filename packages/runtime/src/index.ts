export * from './docker-driver.js';
export * from './docker-spec.js';
export * from './driver.js';
export * from './plan.js';
export * from './process-driver.js';
export * from './select.js';
export * from './spec.js';
export * from './versions.js';
