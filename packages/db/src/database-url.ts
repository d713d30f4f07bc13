/** Where the catalog lives unless DATABASE_URL says otherwise (issue 6). */
export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/flotilla';

export function databaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.DATABASE_URL || DEFAULT_DATABASE_URL;
}
