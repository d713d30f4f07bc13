#!/usr/bin/env node
/**
 * Bundles the built broker (packages/broker/dist/main.js, from `npm run build -w @flotilla/broker`, and
 * everything it imports) into one ESM file with esbuild. The build output, not src/, so the image holds
 * exactly what the tests and the ProcessDriver run, and a half-edited source tree cannot break it.
 * Next to it, the native (N-API) packages the protocol loads at run time, which cannot be bundled:
 *
 *   OUT/broker.mjs                    the broker
 *   OUT/node_modules/<native pkgs>    zstd-napi, lz4-napi, snappy, @node-rs/crc32 and their linux-x64
 *                                     binaries, found by the bundle's require (createRequire(import.meta.url))
 *
 * The protocol loads each native package through `loadOptional` and falls back to pure JS when it is
 * missing (CRC-32C in JS, zstd decompression with fzstd), so a bundle without them still runs; with them
 * the broker keeps its fast paths. packages/runtime/test/image.test.ts checks in a container that each
 * one loads natively and that zstd, lz4 and snappy batches round-trip through the broker.
 *
 * usage: node infra/image/bundle.mjs OUT_DIR
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const out = resolve(process.argv[2] ?? join(ROOT, 'infra/image/.build/app'));

/** Native packages the protocol requires at run time, with the files of each that matter at run time. */
const NATIVE = {
  'zstd-napi': ['package.json', 'binding.js', 'dist', 'build/Release/binding.node', 'LICENSE'],
  'lz4-napi': null,
  '@antoniomuso/lz4-napi-linux-x64-gnu': null,
  snappy: null,
  '@napi-rs/snappy-linux-x64-gnu': null,
  '@node-rs/crc32': null,
  '@node-rs/crc32-linux-x64-gnu': null,
};

const entry = join(ROOT, 'packages/broker/dist/main.js');
if (!existsSync(entry)) {
  console.error(`bundle: ${entry} is missing; build the broker first (npm run build -w @flotilla/broker)`);
  process.exit(2);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const result = await build({
  entryPoints: [entry],
  outfile: join(out, 'broker.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: Object.keys(NATIVE).flatMap((name) => [name, `${name}/*`]),
  // CommonJS dependencies (prom-client) call require(); an ESM bundle has none unless we make one.
  banner: {
    js: "import { createRequire as __flotillaCreateRequire } from 'node:module'; const require = __flotillaCreateRequire(import.meta.url);",
  },
  // The broker's own main.ts starts with a shebang; esbuild keeps it, which is fine for `node broker.mjs`.
  legalComments: 'none',
  sourcemap: false,
  minify: false,
  logLevel: 'warning',
  metafile: true,
});

const copied = [];
for (const [name, files] of Object.entries(NATIVE)) {
  const from = join(ROOT, 'node_modules', name);
  if (!existsSync(from)) {
    console.warn(`bundle: ${name} is not installed; the broker falls back to pure JS for it`);
    continue;
  }
  const to = join(out, 'node_modules', name);
  mkdirSync(to, { recursive: true });
  for (const f of files ?? ['.']) {
    const src = join(from, f);
    if (!existsSync(src)) continue;
    cpSync(src, join(to, f), { recursive: true, dereference: true });
  }
  copied.push(name);
}

writeFileSync(
  join(out, 'package.json'),
  `${JSON.stringify({ name: 'flotilla-broker-bundle', private: true, type: 'module' }, null, 2)}\n`,
);
const version = JSON.parse(readFileSync(join(ROOT, 'packages/broker/package.json'), 'utf8')).version;
const size = statSync(join(out, 'broker.mjs')).size;
console.log(
  `bundle: broker ${version} -> ${join(out, 'broker.mjs')} (${(size / 1024).toFixed(0)} KiB, ${Object.keys(result.metafile.inputs).length} modules); native: ${copied.join(', ')}`,
);
