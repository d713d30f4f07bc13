/** Small building blocks every page uses: async loading, the three states (loading, empty, error), badges, copy. */
import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Center,
  Code,
  CopyButton,
  Group,
  Loader,
  Modal,
  Stack,
  Text,
  Tooltip,
} from '@mantine/core';
import { IconAlertTriangle, IconCheck, IconCopy, IconInbox, IconRefresh } from '@tabler/icons-react';
import { type DependencyList, Fragment, type ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api.js';

export interface Async<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when deps change and on reload(); keeps the last data while reloading (no flicker on polls). */
export function useAsync<T>(load: () => Promise<T>, deps: DependencyList, pollMs?: number): Async<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<Error>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  // biome-ignore lint/correctness/useExhaustiveDependencies: deps are the caller's
  useEffect(() => {
    let live = true;
    setLoading(true);
    loadRef
      .current()
      .then((d) => {
        if (!live) return;
        setData(d);
        setError(undefined);
      })
      .catch((e: unknown) => live && setError(e instanceof Error ? e : new Error(String(e))))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  useEffect(() => {
    if (!pollMs) return;
    const timer = setInterval(() => setTick((t) => t + 1), pollMs);
    return () => clearInterval(timer);
  }, [pollMs]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

/** What the user can do about an error, from its status. */
function hintFor(error: Error): string {
  if (!(error instanceof ApiError)) return 'Reload the page; if it happens again, check the API server log.';
  if (error.status === 0) return 'Check that the API server is running and reachable from this browser.';
  if (error.status === 403 || error.status === 401)
    return 'Your access key was refused: sign out and sign in with a valid key.';
  if (error.status === 404)
    return 'This API server does not serve this yet, or the resource is gone. Update the control plane or go back.';
  if (error.status === 409) return 'Someone changed it meanwhile: reload and try again.';
  if (error.message.includes('SECURITY_DISABLED'))
    return 'Apply a configuration that sets authorizer.class.name (for ACLs) or enable SASL/SCRAM (for users), then come back.';
  if (error.status === 400 && !error.invalidParameter)
    return 'The cluster cannot do this in its current state or configuration.';
  if (error.status === 400)
    return error.invalidParameter
      ? `Fix the field "${error.invalidParameter}" and try again.`
      : 'Fix the input and try again.';
  if (error.status === 429) return 'Too many requests: wait a moment and retry.';
  return 'The API failed: retry, and check the API server log if it persists.';
}

export function ErrorState({ error, onRetry, title }: { error: Error; onRetry?: () => void; title?: string }) {
  return (
    <Alert
      variant="light"
      color="red"
      title={title ?? (error instanceof ApiError && error.status ? `Error ${error.status}` : 'Error')}
      icon={<IconAlertTriangle size={18} />}
      data-testid="error-state"
    >
      <Stack gap={6}>
        <Text size="sm">{error.message}</Text>
        <Text size="sm" c="dimmed">
          {hintFor(error)}
        </Text>
        {onRetry && (
          <Group>
            <Button size="xs" variant="light" color="red" leftSection={<IconRefresh size={14} />} onClick={onRetry}>
              Retry
            </Button>
          </Group>
        )}
      </Stack>
    </Alert>
  );
}

export function Loading({ label }: { label: string }) {
  return (
    <Center py="xl">
      <Group gap="sm">
        <Loader size="sm" />
        <Text c="dimmed" size="sm">
          {label}
        </Text>
      </Group>
    </Center>
  );
}

export function Empty({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <Center py="xl">
      <Stack align="center" gap={6} maw={420} ta="center">
        <IconInbox size={36} stroke={1.3} color="var(--mantine-color-dimmed)" />
        <Text fw={600}>{title}</Text>
        {children && (
          <Text size="sm" c="dimmed">
            {children}
          </Text>
        )}
        {action && <div style={{ marginTop: 8 }}>{action}</div>}
      </Stack>
    </Center>
  );
}

/** Renders the three states of an Async, or `children(data)`. */
export function AsyncView<T>({
  state,
  label,
  children,
}: {
  state: Async<T>;
  label: string;
  children: (data: T) => ReactNode;
}) {
  if (state.data !== undefined) {
    return (
      <>
        {state.error && <ErrorState error={state.error} onRetry={state.reload} title="Could not refresh" />}
        {children(state.data)}
      </>
    );
  }
  if (state.error) return <ErrorState error={state.error} onRetry={state.reload} />;
  return <Loading label={label} />;
}

const STATE_COLORS: Record<string, string> = {
  ACTIVE: 'teal',
  CREATING: 'blue',
  UPDATING: 'blue',
  REBOOTING_BROKER: 'blue',
  HEALING: 'yellow',
  MAINTENANCE: 'yellow',
  DELETING: 'orange',
  FAILED: 'red',
  DELETED: 'gray',
  PENDING: 'gray',
  IN_PROGRESS: 'blue',
  COMPLETE: 'teal',
  UPDATE_IN_PROGRESS: 'blue',
  UPDATE_COMPLETE: 'teal',
  UPDATE_FAILED: 'red',
  STABLE: 'teal',
  EMPTY: 'gray',
  PREPARING_REBALANCE: 'yellow',
  COMPLETING_REBALANCE: 'yellow',
  DEAD: 'red',
  HEALTHY: 'teal',
  OK: 'teal',
  DEGRADED: 'yellow',
  CRITICAL: 'red',
};
const BUSY = new Set([
  'CREATING',
  'UPDATING',
  'REBOOTING_BROKER',
  'HEALING',
  'DELETING',
  'IN_PROGRESS',
  'UPDATE_IN_PROGRESS',
]);

export function StateBadge({ state }: { state: string }) {
  return (
    <Badge
      color={STATE_COLORS[state] ?? 'gray'}
      variant="light"
      leftSection={BUSY.has(state) ? <Loader size={10} color={STATE_COLORS[state]} /> : undefined}
      style={{ flexShrink: 0, overflow: 'visible' }}
      data-testid="state-badge"
    >
      {state.replaceAll('_', ' ')}
    </Badge>
  );
}

/** Lets a long host:port list wrap after its commas rather than inside a port number. */
function breakAfterCommas(value: string): ReactNode {
  const parts = value.split(',');
  return parts.map((part, i) => (
    // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one fixed string
    <Fragment key={i}>
      {part}
      {i < parts.length - 1 && (
        <>
          ,<wbr />
        </>
      )}
    </Fragment>
  ));
}

/** A value in a code block with a copy button; `label` is shown above it, `name` only read out. */
export function CopyField({
  label,
  name,
  value,
  testId,
}: {
  label?: string;
  name?: string;
  value: string;
  testId?: string;
}) {
  return (
    <Stack gap={2}>
      {label && (
        <Text size="xs" c="dimmed" fw={600} tt="uppercase">
          {label}
        </Text>
      )}
      <Group gap="xs" wrap="nowrap" align="flex-start">
        <Code block style={{ flex: 1, whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }} data-testid={testId}>
          {breakAfterCommas(value)}
        </Code>
        <CopyButton value={value} timeout={1500}>
          {({ copied, copy }) => (
            <Tooltip label={copied ? 'Copied' : 'Copy'} withArrow>
              <ActionIcon
                variant="light"
                color={copied ? 'teal' : 'gray'}
                onClick={copy}
                aria-label={`Copy ${name ?? label ?? 'to clipboard'}`}
              >
                {copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
              </ActionIcon>
            </Tooltip>
          )}
        </CopyButton>
      </Group>
    </Stack>
  );
}

/** Saves `text` as a file named `filename` (PEM files: the CA, client certificates and keys). */
export function downloadText(filename: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/x-pem-file' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A modal that asks before doing something that changes a cluster, and shows the API's error in place. */
export function ConfirmModal({
  opened,
  onClose,
  title,
  children,
  confirmLabel,
  danger,
  onConfirm,
}: {
  opened: boolean;
  onClose: () => void;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => Promise<void>;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  useEffect(() => {
    if (opened) setError(undefined);
  }, [opened]);
  return (
    <Modal opened={opened} onClose={onClose} title={<Text fw={600}>{title}</Text>} centered>
      <Stack>
        {children}
        {error && <ErrorState error={error} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            color={danger ? 'red' : undefined}
            loading={busy}
            onClick={async () => {
              setBusy(true);
              setError(undefined);
              try {
                await onConfirm();
                onClose();
              } catch (e) {
                setError(e as Error);
              } finally {
                setBusy(false);
              }
            }}
          >
            {confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

export function formatBytes(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 && i > 0 ? 1 : 0)} ${units[i]}`;
}

export function formatTime(iso: string | number | undefined): string {
  if (iso === undefined) return '—';
  const d = new Date(typeof iso === 'string' && /^\d+$/.test(iso) ? Number(iso) : iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

export function since(iso: string, until?: string): string {
  const ms = (until ? new Date(until).getTime() : Date.now()) - new Date(iso).getTime();
  if (ms < 60_000) return `${Math.max(0, Math.round(ms / 1000))} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
