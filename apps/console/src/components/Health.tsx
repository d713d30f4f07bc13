/** Cluster health (issue 8: GET /v1/clusters/{arn}/health): a badge for lists and a banner naming the problems. */
import { Alert, Badge, List, Tooltip } from '@mantine/core';
import { IconAlertTriangle, IconCircleCheck } from '@tabler/icons-react';
import { useApi } from '../App.js';
import { ApiError, type Health } from '../api.js';
import { useAsync } from './common.js';

function healthy(h: Health): boolean {
  return h.status === 'HEALTHY' && !(h.problems?.length ?? 0);
}

export function useHealth(clusterArn: string, enabled: boolean) {
  const api = useApi();
  return useAsync<Health | null>(
    () => (enabled ? api.health(clusterArn) : Promise.resolve(null)),
    [clusterArn, enabled],
    15_000,
  );
}

export function HealthBadge({ clusterArn, state }: { clusterArn: string; state: string }) {
  const h = useHealth(clusterArn, state === 'ACTIVE' || state === 'HEALING' || state === 'UPDATING');
  if (h.error) {
    const missing = h.error instanceof ApiError && h.error.status === 404;
    return (
      <Tooltip label={missing ? 'This API does not report health yet' : h.error.message}>
        <Badge variant="outline" color="gray">
          unknown
        </Badge>
      </Tooltip>
    );
  }
  if (!h.data)
    return (
      <Badge variant="outline" color="gray">
        —
      </Badge>
    );
  if (h.data.status === 'UNKNOWN') {
    return (
      <Tooltip label={h.data.summary ?? 'No scrape yet'}>
        <Badge variant="outline" color="gray">
          unknown
        </Badge>
      </Tooltip>
    );
  }
  const ok = healthy(h.data);
  return (
    <Tooltip
      label={ok ? 'No problems' : (h.data.problems ?? []).map((p) => p.message).join('; ') || h.data.status}
      multiline
      maw={320}
    >
      <Badge variant="light" color={ok ? 'teal' : 'orange'}>
        {ok ? 'healthy' : `${h.data.problems?.length ?? 1} problem${(h.data.problems?.length ?? 1) === 1 ? '' : 's'}`}
      </Badge>
    </Tooltip>
  );
}

export function HealthBanner({ clusterArn, state }: { clusterArn: string; state: string }) {
  const h = useHealth(clusterArn, state === 'ACTIVE' || state === 'HEALING' || state === 'UPDATING');
  if (state === 'FAILED') return null; // the page shows stateInfo instead
  if (h.error) {
    if (h.error instanceof ApiError && h.error.status === 404) return null; // no health endpoint yet: nothing to claim
    return (
      <Alert color="gray" variant="light" title="Health unknown" icon={<IconAlertTriangle size={18} />}>
        {h.error.message}
      </Alert>
    );
  }
  if (!h.data || h.data.status === 'UNKNOWN') return null;
  if (healthy(h.data)) {
    return (
      <Alert
        color="teal"
        variant="light"
        icon={<IconCircleCheck size={18} />}
        title="Healthy"
        data-testid="health-banner"
      >
        {h.data.summary ?? 'Every broker is up and every partition fully replicated.'}
      </Alert>
    );
  }
  return (
    <Alert
      color="orange"
      variant="light"
      icon={<IconAlertTriangle size={18} />}
      title={`Cluster ${h.data.status.toLowerCase()}`}
      data-testid="health-banner"
    >
      <List size="sm">
        {(h.data.problems ?? [{ message: h.data.status }]).map((p) => (
          <List.Item key={p.message}>{p.message}</List.Item>
        ))}
      </List>
    </Alert>
  );
}
