/**
 * `--wait` and `flo operations watch`: follow an operation step by step until it ends, printing each
 * step as its status changes (to stderr; stdout keeps the command's result). A failed operation is
 * exit code 8 with the operation's own error.
 */
import { type ClusterOperationV2, SdkError, waitForOperation } from '@flotilla/sdk';
import type { Context } from './context.js';
import { CliError, ExitCode } from './errors.js';

const MARK: Record<string, string> = { COMPLETE: 'done', IN_PROGRESS: '...', FAILED: 'FAILED', PENDING: 'pending' };

export async function followOperation(
  ctx: Context,
  operationArn: string,
  options: { timeoutMs: number; quiet?: boolean },
): Promise<ClusterOperationV2> {
  const started = Date.now();
  const seen = new Map<string, string>();
  let headerShown = false;
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s`;
  const onPoll = (current: ClusterOperationV2) => {
    if (options.quiet) return;
    if (!headerShown) {
      ctx.progress(`${current.operationType} ${current.operationArn}`);
      headerShown = true;
    }
    for (const step of current.provisioned.operationSteps) {
      const status = step.stepInfo.stepStatus;
      if (seen.get(step.stepName) === status || status === 'PENDING') continue;
      seen.set(step.stepName, status);
      ctx.progress(`  ${elapsed()}  ${step.stepName.padEnd(22)} ${MARK[status] ?? status}`);
    }
  };
  let op = await waitForOperation(ctx.client, operationArn, {
    timeoutMs: options.timeoutMs,
    intervalMs: 500,
    onPoll,
  }).catch((error: unknown) => {
    if (error instanceof SdkError && error.type === 'TimeoutError') {
      throw new CliError(
        `${error.message}; it goes on in the background`,
        ExitCode.UNREACHABLE,
        `\`flo operations watch ${operationArn}\` follows it again`,
      );
    }
    throw error;
  });
  // The worker may end the operation from inside its last step and mark that step complete just
  // after (create-cluster's `activate`): give the steps a moment to settle so the display ends true.
  for (let i = 0; i < 10 && op.provisioned.operationSteps.some((st) => st.stepInfo.stepStatus === 'IN_PROGRESS'); i++) {
    await new Promise((r) => setTimeout(r, 200));
    op = await ctx.client.describeClusterOperationV2(operationArn);
    onPoll(op);
  }
  if (op.operationState === 'UPDATE_FAILED') {
    const why = [op.errorInfo?.errorCode, op.errorInfo?.errorString].filter(Boolean).join(': ');
    throw new CliError(`${op.operationType} failed${why ? `: ${why}` : ''}`, ExitCode.FAILED);
  }
  if (!options.quiet) ctx.progress(`${op.operationType} ${op.operationState} in ${elapsed().trim()}`);
  return op;
}

/** Durations on the command line: 90, 90s, 5m, 1h (seconds when no unit). */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw new CliError(`not a duration: ${value} (examples: 90s, 5m)`, ExitCode.USAGE);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return n * (unit === 'ms' ? 1 : unit === 's' ? 1_000 : unit === 'm' ? 60_000 : 3_600_000);
}
