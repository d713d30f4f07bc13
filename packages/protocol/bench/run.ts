/** Runs every `*.bench.ts` in this folder, one after the other, in this process. */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();
for (const file of files) {
  console.log(`\n# ${file}`);
  await import(pathToFileURL(`${dir}${file}`).href);
}
