/**
 * `flo login`: checks an access key against the API and stores it, with the endpoint, as a profile in
 * the AWS credentials-file format (credentials.ts); `flo whoami` shows what the next command will use.
 */
import { existsSync } from 'node:fs';
import { FlotillaClient } from '@flotilla/sdk';
import type { Command } from 'commander';
import { DEFAULT_ENDPOINT, type GlobalOptions, type Io, resolveSettings } from '../context.js';
import { candidateFiles, defaultCredentialsFile, readProfile, writeProfile } from '../credentials.js';
import { CliError, ExitCode } from '../errors.js';
import { fields } from '../output.js';
import { action, examples } from '../program.js';

/** Reads a line from a terminal without echoing it. */
export function promptSecret(io: Io, prompt: string): Promise<string> {
  return promptLine(io, prompt, true);
}

function promptLine(io: Io, prompt: string, secret = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = io.stdin as NodeJS.ReadStream;
    io.stderr(prompt);
    let value = '';
    const raw = secret && typeof stdin.setRawMode === 'function';
    if (raw) stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          finish();
          return;
        }
        if (ch === '\u0003') {
          finish();
          reject(new CliError('cancelled', ExitCode.USAGE));
          return;
        }
        if (ch === '\u007f') value = value.slice(0, -1);
        else value += ch;
      }
    };
    const finish = () => {
      stdin.off('data', onData);
      if (raw) stdin.setRawMode(false);
      stdin.pause();
      if (secret) io.stderr('\n');
      resolve(value.trim());
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

async function readAllStdin(io: Io): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export function registerLogin(program: Command, io: Io): void {
  examples(
    program
      .command('login')
      .description('check an access key against the API and save it (with the endpoint) as a profile')
      .option('--access-key-id <id>', 'access key id (prompted for on a terminal)')
      .option('--secret-access-key-stdin', 'read the secret access key from stdin')
      .option('--secret-access-key <secret>', 'the secret (visible to other local users; prefer the prompt or stdin)')
      .option('--from <file>', 'copy the key from a credentials file, e.g. .flotilla/credentials written by `make up`')
      .action(
        action(io, async (ctx, _args, o) => {
          const g = ctx.options as GlobalOptions;
          const profile = g.profile || io.env.FLOTILLA_PROFILE || io.env.AWS_PROFILE || 'default';
          let accessKeyId = o.accessKeyId as string | undefined;
          let secretAccessKey = o.secretAccessKey as string | undefined;
          const from = o.from as string | undefined;
          if (from && !accessKeyId) {
            if (!existsSync(from)) throw new CliError(`no such file: ${from}`, ExitCode.USAGE);
            const found = readProfile([from], 'default');
            accessKeyId = found?.values.aws_access_key_id;
            secretAccessKey = found?.values.aws_secret_access_key;
            if (!accessKeyId || !secretAccessKey) throw new CliError(`${from} holds no access key`, ExitCode.USAGE);
          }
          if (o.secretAccessKeyStdin) secretAccessKey = (await readAllStdin(io)).trim();
          if (!accessKeyId && io.stdin.isTTY) accessKeyId = await promptLine(io, 'Access key id: ');
          if (!secretAccessKey && io.stdin.isTTY) secretAccessKey = await promptSecret(io, 'Secret access key: ');
          if (!accessKeyId || !secretAccessKey) {
            throw new CliError(
              'give --access-key-id with --secret-access-key-stdin (or run on a terminal to be asked)',
              ExitCode.USAGE,
            );
          }
          // Where to reach the API: the flag, the environment, what the profile had, the default.
          const previous = readProfile(candidateFiles(g.credentialsFile, io.env, io.cwd), profile);
          const endpoint = g.endpoint || io.env.FLOTILLA_ENDPOINT || previous?.values.endpoint_url || DEFAULT_ENDPOINT;
          const region = g.region || previous?.values.region || 'us-east-1';
          const client = new FlotillaClient({ endpoint, region, credentials: { accessKeyId, secretAccessKey } });
          // One signed call proves the key and the endpoint before anything is written.
          const { clusterInfoList } = await client.listClustersV2({ maxResults: 100 });
          const file = g.credentialsFile || defaultCredentialsFile(io.env);
          writeProfile(file, profile, {
            aws_access_key_id: accessKeyId,
            aws_secret_access_key: secretAccessKey,
            region,
            endpoint_url: endpoint,
          });
          ctx.progress(`Logged in to ${endpoint} as ${accessKeyId}; profile '${profile}' saved in ${file}`);
          return fields({ endpoint, profile, accessKeyId, credentialsFile: file, clusters: clusterInfoList.length }, [
            ['Endpoint', endpoint],
            ['Profile', profile],
            ['Access key id', accessKeyId],
            ['Saved in', file],
            ['Clusters', clusterInfoList.length],
          ]);
        }),
      ),
    'flo login --endpoint http://127.0.0.1:8080            # asks for the key',
    'flo login --from .flotilla/credentials                # the key `make up` generated',
    'echo "$SECRET" | flo login --access-key-id AKIA... --secret-access-key-stdin --profile staging',
  );

  program
    .command('whoami')
    .description('show the endpoint, profile and access key the next command will use, and check them')
    .option('--offline', 'do not call the API')
    .action(
      action(io, async (ctx, _args, o) => {
        const s = resolveSettings(ctx.options, io);
        let check = 'not checked';
        if (!o.offline) {
          await ctx.client.listClustersV2({ maxResults: 1 });
          check = 'accepted';
        }
        return fields(
          {
            endpoint: s.endpoint,
            profile: s.profile,
            region: s.region,
            accessKeyId: s.accessKeyId,
            source: s.source,
            check,
          },
          [
            ['Endpoint', s.endpoint],
            ['Profile', s.profile],
            ['Region', s.region],
            ['Access key id', s.accessKeyId ?? '(none)'],
            ['From', s.source],
            ['Key', check],
          ],
        );
      }),
    );
}
