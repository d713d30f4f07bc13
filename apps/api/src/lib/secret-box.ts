/** SecretBox lives in @flotilla/db now (the worker opens the same sealed columns). */
export { loadMasterKey, SecretBox } from '@flotilla/db';
