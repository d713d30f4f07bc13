export * from './errors.js';
export * from './frames.js';
export * from './generated/index.js';
export { Reader } from './primitives/reader.js';
export { deepEqual, type TaggedField } from './primitives/tagged.js';
export { randomUuid, uuidFromBytes, uuidToBytes, ZERO_UUID } from './primitives/uuid.js';
export { Writer } from './primitives/writer.js';
export * from './records/batch.js';
export * from './records/compression/index.js';
export * from './records/convert.js';
export { crc32, crc32Js } from './records/crc32.js';
export { crc32c, crc32cBackend, crc32cJs, crc32cNative } from './records/crc32c.js';
export * from './records/legacy.js';
export * from './scram.js';

// The admin client (src/client/): connections, SASL, AdminClient.

export * from './client/admin.js';
export * from './client/connection.js';
export * from './client/errors.js';
export { DEFAULT_MAX_FRAME_BYTES, FrameDecoder } from './client/frame-decoder.js';
export * from './client/sasl.js';
