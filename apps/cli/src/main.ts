#!/usr/bin/env node
/** The `flo` binary: runs the CLI on the process's argv and exits with its code. */
import { run } from './program.js';

const code = await run(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stdin: process.stdin,
  interactive: Boolean(process.stderr.isTTY),
});
// Exit once stdout has drained (a pipe to `jq` would otherwise lose the tail), without waiting for
// idle keep-alive sockets or a Kafka client's timers.
process.stdout.write('', () => process.exit(code));
