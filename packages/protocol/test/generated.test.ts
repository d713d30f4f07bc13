import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, readGenerated } from '../scripts/generate.js';
import { MESSAGES_DIR, SPEC_DIR } from '../scripts/spec.js';

describe('generated code', () => {
  it('is what the generator writes from spec/ (run `npm run generate -w @flotilla/protocol` when this fails)', () => {
    const expected = generate();
    const actual = readGenerated();
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [file, content] of expected) {
      expect(actual.get(file), `src/generated/${file} is stale`).toBe(content);
    }
  });
});

// spec/ is a checked-in copy of Kafka's definitions in shared/kafka-protocol, so the build needs nothing
// outside the repository. Where shared/ sits beside the checkout (development, CI), the copy must match.
const shared = new URL('../../../../shared/kafka-protocol/', import.meta.url).pathname;

describe.skipIf(!existsSync(shared))('spec/ copy', () => {
  it('matches shared/kafka-protocol', () => {
    const ours = readdirSync(MESSAGES_DIR).sort();
    expect(ours).toEqual(readdirSync(join(shared, 'messages')).sort());
    for (const f of ours) {
      expect(readFileSync(join(MESSAGES_DIR, f), 'utf8'), f).toBe(readFileSync(join(shared, 'messages', f), 'utf8'));
    }
    expect(readFileSync(join(SPEC_DIR, 'errors.tsv'), 'utf8')).toBe(readFileSync(join(shared, 'errors.tsv'), 'utf8'));
  });
});
