/**
 * What every command needs, from the global options and the environment: the API client (endpoint and
 * access key, see credentials.ts for the lookup), the output format, and where to write. Commands get
 * it through `contextOf(command)` and return a View; nothing here exits the process.
 */
import { type Cluster, FlotillaClient } from '@flotilla/sdk';
import type { Command } from 'commander';
import { candidateFiles, readProfile } from './credentials.js';
import { CliError, ExitCode } from './errors.js';
import { OUTPUT_FORMATS, type OutputFormat } from './output.js';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:8080';

export interface GlobalOptions {
  endpoint?: string;
  profile?: string;
  credentialsFile?: string;
  region?: string;
  output?: string;
  bearer?: boolean;
}

export interface Io {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Whether stderr is a terminal (progress redraws in place there). */
  readonly interactive: boolean;
}

export interface ResolvedSettings {
  readonly endpoint: string;
  readonly profile: string;
  readonly region: string;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  /** Where the key came from: a file path or an environment variable's name. */
  readonly source?: string;
}

export class Context {
  private clientCache?: FlotillaClient;
  readonly settings: ResolvedSettings;
  readonly format: OutputFormat;

  constructor(
    readonly options: GlobalOptions,
    readonly io: Io,
  ) {
    const format = (options.output ?? io.env.FLOTILLA_OUTPUT ?? 'table') as OutputFormat;
    if (!OUTPUT_FORMATS.includes(format)) {
      throw new CliError(`--output must be one of ${OUTPUT_FORMATS.join(', ')}, got ${format}`, ExitCode.USAGE);
    }
    this.format = format;
    this.settings = resolveSettings(options, io);
  }

  /** The API client; fails (exit 3) when no access key was found. */
  get client(): FlotillaClient {
    if (this.clientCache) return this.clientCache;
    const { endpoint, accessKeyId, secretAccessKey, region } = this.settings;
    if (!accessKeyId || !secretAccessKey) {
      throw new CliError(
        `no credentials for profile '${this.settings.profile}'`,
        ExitCode.AUTH,
        'run `flo login`, or set FLOTILLA_ACCESS_KEY_ID and FLOTILLA_SECRET_ACCESS_KEY',
      );
    }
    this.clientCache = new FlotillaClient({
      endpoint,
      region,
      credentials: { accessKeyId, secretAccessKey },
      ...(this.options.bearer ? { auth: 'bearer' as const } : {}),
      headers: { 'user-agent': 'flo/0.1.0' },
    });
    return this.clientCache;
  }

  /** A cluster by ARN, or by its exact name (names are unique among live clusters). */
  async cluster(nameOrArn: string): Promise<Cluster> {
    if (nameOrArn.startsWith('arn:')) return this.client.describeClusterV2(nameOrArn);
    const found: Cluster[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.client.listClustersV2({ clusterNameFilter: nameOrArn, nextToken });
      found.push(...page.clusterInfoList.filter((c) => c.clusterName === nameOrArn));
      nextToken = page.nextToken;
    } while (nextToken);
    const cluster = found[0];
    if (!cluster) {
      throw new CliError(`no cluster named ${nameOrArn}`, ExitCode.NOT_FOUND, '`flo clusters list` shows them');
    }
    return cluster;
  }

  async clusterArn(nameOrArn: string): Promise<string> {
    return nameOrArn.startsWith('arn:') ? nameOrArn : (await this.cluster(nameOrArn)).clusterArn;
  }

  /** A progress line, to stderr so that stdout stays the command's result (json/yaml pipe cleanly). */
  progress(line: string): void {
    this.io.stderr(`${line}\n`);
  }
}

export function resolveSettings(options: GlobalOptions, io: Io): ResolvedSettings {
  const env = io.env;
  const profile = options.profile || env.FLOTILLA_PROFILE || env.AWS_PROFILE || 'default';
  const fromFile = readProfile(candidateFiles(options.credentialsFile, env, io.cwd), profile);
  const endpoint =
    options.endpoint ||
    env.FLOTILLA_ENDPOINT ||
    fromFile?.values.endpoint_url ||
    env.AWS_ENDPOINT_URL ||
    DEFAULT_ENDPOINT;
  const region = options.region || fromFile?.values.region || env.AWS_REGION || 'us-east-1';
  // An explicit --profile means that profile, not whatever key the environment holds.
  if (!options.profile && env.FLOTILLA_ACCESS_KEY_ID && env.FLOTILLA_SECRET_ACCESS_KEY) {
    return {
      endpoint,
      profile,
      region,
      accessKeyId: env.FLOTILLA_ACCESS_KEY_ID,
      secretAccessKey: env.FLOTILLA_SECRET_ACCESS_KEY,
      source: 'FLOTILLA_ACCESS_KEY_ID',
    };
  }
  const id = fromFile?.values.aws_access_key_id;
  const secret = fromFile?.values.aws_secret_access_key;
  if (id && secret) {
    return { endpoint, profile, region, accessKeyId: id, secretAccessKey: secret, source: fromFile.file };
  }
  if (!options.profile && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return {
      endpoint,
      profile,
      region,
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      source: 'AWS_ACCESS_KEY_ID',
    };
  }
  return { endpoint, profile, region };
}

/** The context of a command, from its options and its parents' (the global options). */
export function contextOf(command: Command, io: Io): Context {
  return new Context(command.optsWithGlobals<GlobalOptions>(), io);
}
