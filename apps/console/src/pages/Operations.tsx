/** The operations timeline: every operation of the cluster, newest first, the open one with its steps live. */
import { Accordion, Badge, Group, Stack, Text, Timeline } from '@mantine/core';
import { IconCheck, IconClock, IconLoader2, IconX } from '@tabler/icons-react';
import { useApi } from '../App.js';
import type { Operation } from '../api.js';
import {
  AsyncView,
  Empty,
  ErrorState,
  formatTime,
  Loading,
  StateBadge,
  since,
  useAsync,
} from '../components/common.js';

export function OperationsTab({ clusterArn, busy }: { clusterArn: string; busy: boolean }) {
  const api = useApi();
  const ops = useAsync(() => api.listOperations(clusterArn), [clusterArn], busy ? 2_000 : 10_000);
  return (
    <AsyncView state={ops} label="Loading operations…">
      {({ clusterOperationInfoList: list }) =>
        list.length === 0 ? (
          <Empty title="No operations yet">
            Creating, updating and rebooting the cluster each show up here with their steps.
          </Empty>
        ) : (
          <Accordion variant="separated" defaultValue={list[0]?.operationArn} data-testid="operations">
            {list.map((op) => (
              <Accordion.Item key={op.operationArn} value={op.operationArn}>
                <Accordion.Control>
                  <Group justify="space-between" wrap="wrap" gap="xs">
                    <Group gap="sm">
                      <Text fw={600}>{op.operationType.replaceAll('_', ' ').toLowerCase()}</Text>
                      <StateBadge state={op.operationState} />
                    </Group>
                    <Text size="xs" c="dimmed">
                      {formatTime(op.startTime)} · {since(op.startTime, op.endTime)}
                    </Text>
                  </Group>
                </Accordion.Control>
                <Accordion.Panel>
                  <OperationSteps operationArn={op.operationArn} live={!op.endTime} />
                </Accordion.Panel>
              </Accordion.Item>
            ))}
          </Accordion>
        )
      }
    </AsyncView>
  );
}

const ICONS: Record<string, React.ReactNode> = {
  COMPLETE: <IconCheck size={14} />,
  FAILED: <IconX size={14} />,
  IN_PROGRESS: <IconLoader2 size={14} />,
  PENDING: <IconClock size={14} />,
};

function OperationSteps({ operationArn, live }: { operationArn: string; live: boolean }) {
  const api = useApi();
  const op = useAsync(() => api.describeOperation(operationArn), [operationArn], live ? 1_500 : undefined);
  if (!op.data)
    return op.error ? <ErrorState error={op.error} onRetry={op.reload} /> : <Loading label="Loading steps…" />;
  const o: Operation = op.data.clusterOperationInfo;
  const steps = o.provisioned?.operationSteps ?? [];
  const done = steps.filter((s) => s.stepInfo?.stepStatus === 'COMPLETE').length;
  return (
    <Stack gap="sm">
      {o.errorInfo && (
        <Text c="red" size="sm">
          {o.errorInfo.errorCode}: {o.errorInfo.errorString}
        </Text>
      )}
      <Group gap="xs">
        <Badge variant="light" color="gray">
          {done}/{steps.length} steps
        </Badge>
      </Group>
      <Timeline active={done - 1} bulletSize={22} lineWidth={2}>
        {steps.map((s) => {
          const status = s.stepInfo?.stepStatus ?? 'PENDING';
          return (
            <Timeline.Item
              key={s.stepName}
              bullet={ICONS[status]}
              color={
                status === 'FAILED'
                  ? 'red'
                  : status === 'COMPLETE'
                    ? 'teal'
                    : status === 'IN_PROGRESS'
                      ? 'blue'
                      : 'gray'
              }
              title={<Text size="sm">{s.stepName.replaceAll('_', ' ')}</Text>}
            >
              <Text size="xs" c="dimmed">
                {status.replaceAll('_', ' ').toLowerCase()}
              </Text>
            </Timeline.Item>
          );
        })}
      </Timeline>
    </Stack>
  );
}
