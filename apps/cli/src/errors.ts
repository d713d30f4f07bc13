/**
 * Exit codes that mean something (issue 9): scripts branch on them, so they are stable and listed in
 * `flo --help`. An API error maps by its exception name; the message printed is the API's own.
 */
import { SdkError } from '@flotilla/sdk';

export const ExitCode = {
  OK: 0,
  /** Anything unexpected, and the API's 5xx. */
  ERROR: 1,
  /** Bad command line, or input the API rejected (BadRequestException). */
  USAGE: 2,
  /** No credentials, or credentials the API refused. */
  AUTH: 3,
  /** The cluster, operation, configuration or topic does not exist. */
  NOT_FOUND: 4,
  /** The name is taken, or the cluster changed since it was read (stale currentVersion). */
  CONFLICT: 5,
  /** This API server does not serve the call (its route does not exist there). */
  NOT_AVAILABLE: 6,
  /** The API (or the brokers) could not be reached, or did not answer in time. */
  UNREACHABLE: 7,
  /** What was waited for ended badly: the operation failed or the cluster went FAILED. */
  FAILED: 8,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODES_HELP = `Exit codes:
  0  success
  1  unexpected error, or the API's internal error
  2  bad command line, or input the API rejected (BadRequestException)
  3  no credentials, or credentials the API refused
  4  not found
  5  conflict: name taken, or the cluster changed since it was read (currentVersion)
  6  not available on this server (the API has no such route)
  7  the API or the brokers could not be reached, or did not answer in time
  8  the operation waited for failed, or the cluster went FAILED`;

export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** A line of advice printed after the message. */
    readonly hint?: string,
  ) {
    super(message);
  }
}

const BY_TYPE: Record<string, ExitCode> = {
  BadRequestException: ExitCode.USAGE,
  UnauthorizedException: ExitCode.AUTH,
  ForbiddenException: ExitCode.AUTH,
  InvalidSignatureException: ExitCode.AUTH,
  UnrecognizedClientException: ExitCode.AUTH,
  MissingAuthenticationTokenException: ExitCode.AUTH,
  NotFoundException: ExitCode.NOT_FOUND,
  ConflictException: ExitCode.CONFLICT,
  NetworkError: ExitCode.UNREACHABLE,
  TimeoutError: ExitCode.UNREACHABLE,
  ClusterFailed: ExitCode.FAILED,
};

/** What to print and which code to exit with, for anything a command threw. */
export function describeFailure(error: unknown): { message: string; exitCode: ExitCode; hint?: string } {
  if (error instanceof CliError) {
    return { message: error.message, exitCode: error.exitCode, ...(error.hint ? { hint: error.hint } : {}) };
  }
  if (error instanceof SdkError) {
    if (error.routeMissing) {
      return {
        message: `not available on this server: ${error.message.replace(/^No route for /, '')}`,
        exitCode: ExitCode.NOT_AVAILABLE,
        hint: 'this control plane does not serve the call yet; upgrade it, or check --endpoint',
      };
    }
    const where = error.invalidParameter ? ` (${error.invalidParameter})` : '';
    // MSK answers a stale currentVersion with BadRequestException naming it: a conflict, not bad input.
    const exitCode =
      error.invalidParameter === 'currentVersion' ? ExitCode.CONFLICT : (BY_TYPE[error.type] ?? ExitCode.ERROR);
    const hint = error.authFailed
      ? 'check the access key: `flo whoami` shows which one is used; `flo login` stores another'
      : error.type === 'NetworkError'
        ? 'is the API running (make up)? --endpoint or FLOTILLA_ENDPOINT sets where it is'
        : undefined;
    return { message: `${error.type}: ${error.message}${where}`, exitCode, ...(hint ? { hint } : {}) };
  }
  if (error instanceof Error) {
    // kafkajs: a connection that failed (retries exhausted included) is unreachable brokers; any other
    // Kafka error is the brokers' answer, printed as they gave it.
    const cause = (error as { cause?: unknown }).cause;
    const connection = (e: unknown) =>
      e instanceof Error && /KafkaJSConnectionError|ECONNREFUSED|ETIMEDOUT/.test(`${e.name} ${e.message}`);
    if (connection(error) || connection(cause)) {
      return { message: `cannot reach the brokers: ${error.message}`, exitCode: ExitCode.UNREACHABLE };
    }
    if (error.name === 'KafkaJSSASLAuthenticationError') {
      return {
        message: `Kafka: ${error.message}`,
        exitCode: ExitCode.AUTH,
        hint: "check --user and the password; `flo users list CLUSTER` shows the cluster's SCRAM users",
      };
    }
    if (error.name.startsWith('KafkaJS')) return { message: `Kafka: ${error.message}`, exitCode: ExitCode.ERROR };
    return { message: error.message, exitCode: ExitCode.ERROR };
  }
  return { message: String(error), exitCode: ExitCode.ERROR };
}
