/**
 * The credentials file as `flo login` edits it: one profile replaced, every other line kept, so a
 * user's ~/.aws/credentials with real AWS profiles survives a login. And the lookup order.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveSettings } from './context.js';
import { parseIni, setProfile, writeProfile } from './credentials.js';

const dirs: string[] = [];
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), 'flo-creds-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const io = (env: NodeJS.ProcessEnv, cwd: string) => ({
  env,
  cwd,
  stdout: () => {},
  stderr: () => {},
  stdin: process.stdin,
  interactive: false,
});

describe('credentials file', () => {
  const existing = [
    '# my AWS accounts',
    '[default]',
    'aws_access_key_id = AKIAREALAWS',
    'aws_secret_access_key = real',
    '',
    '[profile work]',
    'aws_access_key_id=AKIAWORK',
    'aws_secret_access_key=work-secret',
    '',
  ].join('\n');

  it('parses sections, `[profile x]` spellings, comments and spacing', () => {
    const parsed = parseIni(existing);
    expect([...parsed.keys()]).toEqual(['default', 'work']);
    expect(parsed.get('work')).toEqual({ aws_access_key_id: 'AKIAWORK', aws_secret_access_key: 'work-secret' });
  });

  it('replaces one profile and keeps the others, comments included; adds a missing one at the end', () => {
    const replaced = setProfile(existing, 'default', { aws_access_key_id: 'AKIAFLO', aws_secret_access_key: 's' });
    expect(replaced).toBe(
      [
        '# my AWS accounts',
        '[default]',
        'aws_access_key_id = AKIAFLO',
        'aws_secret_access_key = s',
        '',
        '[profile work]',
        'aws_access_key_id=AKIAWORK',
        'aws_secret_access_key=work-secret',
        '',
      ].join('\n'),
    );
    const added = setProfile(existing, 'flotilla', { aws_access_key_id: 'AKIAFLO', endpoint_url: 'http://h:1' });
    expect(parseIni(added).get('flotilla')).toEqual({ aws_access_key_id: 'AKIAFLO', endpoint_url: 'http://h:1' });
    expect(parseIni(added).get('work')).toEqual(parseIni(existing).get('work'));
    expect(setProfile('', 'default', { a: '1' })).toBe('[default]\na = 1\n');
  });

  it('writes 0600 and creates the directory', () => {
    const file = join(scratch(), '.aws', 'credentials');
    writeProfile(file, 'default', { aws_access_key_id: 'A', aws_secret_access_key: 'B' });
    writeProfile(file, 'other', { aws_access_key_id: 'C', aws_secret_access_key: 'D' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect([...parseIni(readFileSync(file, 'utf8')).keys()]).toEqual(['default', 'other']);
  });
});

describe('where flo finds its key and endpoint', () => {
  it('FLOTILLA_* environment first, then the profile in ~/.aws/credentials, then .flotilla/credentials above the working directory', () => {
    const home = scratch();
    const project = scratch();
    const cwd = join(project, 'apps', 'x');
    mkdirSync(cwd, { recursive: true });
    mkdirSync(join(project, '.flotilla'));
    writeFileSync(
      join(project, '.flotilla', 'credentials'),
      '[default]\naws_access_key_id = AKIAPROJECT\naws_secret_access_key = p\nregion = eu-west-1\n',
    );
    expect(resolveSettings({}, io({ HOME: home }, cwd))).toMatchObject({
      accessKeyId: 'AKIAPROJECT',
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:8080',
      source: join(project, '.flotilla', 'credentials'),
    });

    writeProfile(join(home, '.aws', 'credentials'), 'default', {
      aws_access_key_id: 'AKIAHOME',
      aws_secret_access_key: 'h',
      endpoint_url: 'http://api:9',
    });
    expect(resolveSettings({}, io({ HOME: home }, cwd))).toMatchObject({
      accessKeyId: 'AKIAHOME',
      endpoint: 'http://api:9',
    });
    expect(
      resolveSettings({}, io({ HOME: home, FLOTILLA_ACCESS_KEY_ID: 'AKIAENV', FLOTILLA_SECRET_ACCESS_KEY: 'e' }, cwd)),
    ).toMatchObject({ accessKeyId: 'AKIAENV', source: 'FLOTILLA_ACCESS_KEY_ID', endpoint: 'http://api:9' });
    // --endpoint wins over the profile's; a named profile that exists nowhere has no key.
    expect(resolveSettings({ endpoint: 'http://flag:1' }, io({ HOME: home }, cwd)).endpoint).toBe('http://flag:1');
    expect(resolveSettings({ profile: 'nope' }, io({ HOME: home }, cwd)).accessKeyId).toBeUndefined();
  });
});
