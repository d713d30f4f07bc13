/**
 * Where flo finds its endpoint and access key, in the AWS credentials-file format (INI; profiles as
 * sections), so one file serves flo, the aws CLI and the AWS SDKs:
 *
 *   [default]
 *   aws_access_key_id = AKIA...
 *   aws_secret_access_key = ...
 *   region = us-east-1
 *   endpoint_url = http://127.0.0.1:8080      (flo's addition; AWS tools ignore it here)
 *
 * Files, first one holding the profile wins: --credentials-file, else FLOTILLA_CREDENTIALS_FILE or
 * AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials and then the nearest .flotilla/credentials
 * above the working directory (what `make up` writes).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export type Profile = Record<string, string>;

/** Sections of an INI file; `[profile x]` (the config file's spelling) is read as `x`. */
export function parseIni(text: string): Map<string, Profile> {
  const sections = new Map<string, Profile>();
  let current: Profile | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\s*(?:profile\s+)?([^\]]+?)\s*\]$/.exec(line);
    if (header?.[1]) {
      current = sections.get(header[1]) ?? {};
      sections.set(header[1], current);
      continue;
    }
    const eq = line.indexOf('=');
    if (current && eq > 0) current[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
  }
  return sections;
}

/**
 * The file with `profile` replaced by `values` (other profiles, comments and order kept): what
 * `flo login` writes.
 */
export function setProfile(text: string, profile: string, values: Profile): string {
  const lines = text ? text.split(/\r?\n/) : [];
  const isHeader = (l: string) => /^\s*\[.*\]\s*$/.test(l);
  const headerName = (l: string) => /^\s*\[\s*(?:profile\s+)?([^\]]+?)\s*\]\s*$/.exec(l)?.[1];
  const start = lines.findIndex((l) => isHeader(l) && headerName(l) === profile);
  const body = Object.entries(values).map(([k, v]) => `${k} = ${v}`);
  if (start < 0) {
    while (lines.length && lines.at(-1)?.trim() === '') lines.pop();
    return [...lines, ...(lines.length ? [''] : []), `[${profile}]`, ...body, ''].join('\n');
  }
  let end = lines.findIndex((l, i) => i > start && isHeader(l));
  if (end < 0) end = lines.length;
  const rest = lines.slice(end);
  return [...lines.slice(0, start + 1), ...body, ...(rest.length ? [''] : []), ...rest]
    .join('\n')
    .replace(/\n*$/, '\n');
}

export function defaultCredentialsFile(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.FLOTILLA_CREDENTIALS_FILE ||
    env.AWS_SHARED_CREDENTIALS_FILE ||
    join(env.HOME || homedir(), '.aws', 'credentials')
  );
}

/** The nearest .flotilla/credentials at or above `from`. */
export function findProjectCredentials(from: string): string | undefined {
  let dir = resolve(from);
  for (;;) {
    const candidate = join(dir, '.flotilla', 'credentials');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export function candidateFiles(explicit: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string[] {
  if (explicit) return [explicit];
  const fromEnv = env.FLOTILLA_CREDENTIALS_FILE || env.AWS_SHARED_CREDENTIALS_FILE;
  if (fromEnv) return [fromEnv];
  const project = findProjectCredentials(cwd);
  return [join(env.HOME || homedir(), '.aws', 'credentials'), ...(project ? [project] : [])];
}

export function readProfile(files: readonly string[], profile: string): { file: string; values: Profile } | undefined {
  for (const file of files) {
    if (!existsSync(file)) continue;
    const values = parseIni(readFileSync(file, 'utf8')).get(profile);
    if (values) return { file, values };
  }
  return undefined;
}

/** Writes one profile into `file` (0600, atomically), keeping the others. */
export function writeProfile(file: string, profile: string, values: Profile): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, setProfile(before, profile, values), { mode: 0o600 });
  renameSync(tmp, file);
}
