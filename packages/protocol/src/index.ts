export * from './errors.js';
export * from './frames.js';
export * from './generated/index.js';
export { Reader } from './primitives/reader.js';
export { deepEqual, type TaggedField } from './primitives/tagged.js';
export { randomUuid, uuidFromBytes, uuidToBytes, ZERO_UUID } from './primitives/uuid.js';
export { Writer } from './primitives/writer.js';
