/**
 * Consumer groups (issue 6/8): list with state and lag; a group's members, assignment and lag per
 * partition, a lag-over-time chart (the monitor's stored SumOffsetLag for the last hour, then the
 * figures this page reads every 5 s), and reset offsets (earliest,
 * latest, timestamp, a specific offset) with a dry-run preview before anything changes.
 */
import {
  Anchor,
  Badge,
  Button,
  Card,
  Group,
  NumberInput,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useEffect, useState } from 'react';
import { useLocation, useSearch } from 'wouter';
import { useApi } from '../App.js';
import type { ResetPreview } from '../api.js';
import { AsyncView, Empty, ErrorState, StateBadge, useAsync } from '../components/common.js';
import { TimeChart } from '../components/TimeChart.js';

export function GroupsTab({ clusterArn }: { clusterArn: string }) {
  const api = useApi();
  const groups = useAsync(() => api.listGroups(clusterArn), [clusterArn], 10_000);
  // The open group is in the URL (?group=), so it survives a reload and can be linked to.
  const [location, navigate] = useLocation();
  const selected = new URLSearchParams(useSearch()).get('group');
  const setSelected = (groupId: string) => navigate(`${location}?group=${encodeURIComponent(groupId)}`);
  return (
    <Stack>
      <Card withBorder padding={0}>
        <AsyncView state={groups} label="Loading consumer groups…">
          {({ consumerGroups: list }) =>
            list.length === 0 ? (
              <Empty title="No consumer groups">
                Groups appear once a consumer with a group.id joins or commits offsets.
              </Empty>
            ) : (
              <Table.ScrollContainer minWidth={520}>
                <Table highlightOnHover verticalSpacing="sm" horizontalSpacing="md">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Group</Table.Th>
                      <Table.Th>State</Table.Th>
                      <Table.Th>Protocol</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {list.map((g) => (
                      <Table.Tr key={g.groupId}>
                        <Table.Td>
                          <Anchor component="button" fw={600} onClick={() => setSelected(g.groupId)}>
                            {g.groupId}
                          </Anchor>
                        </Table.Td>
                        <Table.Td>{g.state ? <StateBadge state={g.state} /> : '—'}</Table.Td>
                        <Table.Td>{g.protocolType || '—'}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            )
          }
        </AsyncView>
      </Card>
      {selected && <GroupDetail key={selected} clusterArn={clusterArn} groupId={selected} />}
    </Stack>
  );
}

function GroupDetail({ clusterArn, groupId }: { clusterArn: string; groupId: string }) {
  const api = useApi();
  const group = useAsync(() => api.describeGroup(clusterArn, groupId), [clusterArn, groupId], 5_000);
  const [samples, setSamples] = useState<{ t: number[]; lag: number[] }>({ t: [], lag: [] });
  // The last hour as the monitor stored it (SumOffsetLag per topic of this group, summed per minute),
  // then the figures this page reads every 5 s appended.
  useEffect(() => {
    const end = new Date();
    const start = new Date(end.getTime() - 3_600_000);
    let cancelled = false;
    api
      .metrics(clusterArn, ['SumOffsetLag'], start, end, 60, `group=${encodeURIComponent(groupId)},`)
      .then(({ metrics }) => {
        if (cancelled) return;
        const byTime = new Map<number, number>();
        for (const series of metrics[0]?.series ?? []) {
          series.timestamps.forEach((ts, i) => {
            const t = (typeof ts === 'number' ? ts : Date.parse(ts)) / 1000;
            byTime.set(t, (byTime.get(t) ?? 0) + (series.values[i] ?? 0));
          });
        }
        const history = [...byTime].sort((a, b) => a[0] - b[0]);
        setSamples((s) => {
          const before = history.filter(([t]) => t < (s.t[0] ?? Number.POSITIVE_INFINITY));
          return { t: [...before.map(([t]) => t), ...s.t], lag: [...before.map(([, v]) => v), ...s.lag] };
        });
      })
      .catch(() => undefined); // no stored history (monitoring off, or an older API): live samples only
    return () => {
      cancelled = true;
    };
  }, [api, clusterArn, groupId]);
  useEffect(() => {
    const lag = group.data?.lag?.sumOffsetLag ?? group.data?.totalOffsetLag;
    if (lag === undefined) return;
    setSamples((s) => ({ t: [...s.t, Date.now() / 1000].slice(-360), lag: [...s.lag, lag].slice(-360) }));
  }, [group.data]);
  return (
    <AsyncView state={group} label="Loading group…">
      {(g) => (
        <Stack>
          <Group gap="sm">
            <Text fw={600} size="lg">
              {g.groupId}
            </Text>
            <StateBadge state={g.state} />
            <Badge variant="light" data-testid="group-lag">
              total lag {g.lag?.sumOffsetLag ?? g.totalOffsetLag ?? '—'}
            </Badge>
            {(g.lag?.maxOffsetLag ?? g.maxOffsetLag) !== undefined && (
              <Badge variant="light" color="gray">
                max lag {g.lag?.maxOffsetLag ?? g.maxOffsetLag}
              </Badge>
            )}
            {g.lag && (
              <Badge variant="light" color="gray">
                oldest unconsumed {Math.round(g.lag.estimatedMaxTimeLag)} s
              </Badge>
            )}
          </Group>
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <Card withBorder padding="md">
              <Text fw={600} mb="xs">
                Lag over time
              </Text>
              {samples.t.length < 2 ? (
                <Text size="sm" c="dimmed">
                  No stored lag yet; sampling every 5 s while this page is open…
                </Text>
              ) : (
                <TimeChart series={[{ label: 'Sum lag', values: samples.lag }]} timestamps={samples.t} height={180} />
              )}
            </Card>
            <Card withBorder padding="md">
              <Text fw={600} mb="xs">
                Members
              </Text>
              {(g.members ?? []).length === 0 ? (
                <Text size="sm" c="dimmed">
                  No active members (an EMPTY group can have its offsets reset).
                </Text>
              ) : (
                <Stack gap={4}>
                  {(g.members ?? []).map((m) => (
                    <Text key={m.memberId} size="sm">
                      <b>{m.clientId ?? m.memberId}</b> {m.clientHost} —{' '}
                      {(m.assignment ?? []).map((a) => `${a.topic}[${a.partitions.join(',')}]`).join(' ') ||
                        'no assignment'}
                    </Text>
                  ))}
                </Stack>
              )}
            </Card>
          </SimpleGrid>
          <Card withBorder padding={0}>
            <Table.ScrollContainer minWidth={520}>
              <Table verticalSpacing="xs" horizontalSpacing="md">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Topic</Table.Th>
                    <Table.Th>Partition</Table.Th>
                    <Table.Th>Committed</Table.Th>
                    <Table.Th>Log end</Table.Th>
                    <Table.Th>Lag</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {(g.partitions ?? []).map((p) => (
                    <Table.Tr key={`${p.topic}-${p.partition}`}>
                      <Table.Td>{p.topic}</Table.Td>
                      <Table.Td>{p.partition}</Table.Td>
                      <Table.Td>{p.committedOffset ?? '—'}</Table.Td>
                      <Table.Td>{p.logEndOffset ?? '—'}</Table.Td>
                      <Table.Td fw={600}>{p.offsetLag ?? '—'}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Card>
          <ResetOffsets
            clusterArn={clusterArn}
            groupId={groupId}
            topics={[...new Set((g.partitions ?? []).map((p) => p.topic))]}
            onDone={group.reload}
          />
        </Stack>
      )}
    </AsyncView>
  );
}

function ResetOffsets({
  clusterArn,
  groupId,
  topics,
  onDone,
}: {
  clusterArn: string;
  groupId: string;
  topics: string[];
  onDone: () => void;
}) {
  const api = useApi();
  const [topic, setTopic] = useState<string | null>(topics[0] ?? null);
  const [to, setTo] = useState<string>('earliest');
  const [timestamp, setTimestamp] = useState('');
  const [offset, setOffset] = useState<number | string>(0);
  const [preview, setPreview] = useState<ResetPreview[]>();
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const body = (dryRun: boolean) => ({
    ...(topic ? { topics: [topic] } : {}),
    to,
    ...(to === 'timestamp' ? { timestamp: new Date(timestamp).getTime() } : {}),
    ...(to === 'offset' ? { offset: Number(offset) } : {}),
    dryRun,
  });
  const run = async (dryRun: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      const result = await api.resetOffsets(clusterArn, groupId, body(dryRun));
      if (dryRun) setPreview(result.partitions);
      else {
        notifications.show({ title: 'Offsets reset', message: `${groupId} on ${topic}`, color: 'teal' });
        setPreview(undefined);
        onDone();
      }
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card withBorder padding="lg">
      <Stack>
        <Text fw={600}>Reset offsets</Text>
        <Text size="sm" c="dimmed">
          The group must have no active members. Preview first: nothing changes until you apply.
        </Text>
        <Group align="flex-end">
          <Select label="Topic" data={topics} value={topic} onChange={setTopic} w={200} />
          <Select
            label="To"
            data={[
              { value: 'earliest', label: 'Earliest' },
              { value: 'latest', label: 'Latest' },
              { value: 'timestamp', label: 'Timestamp' },
              { value: 'offset', label: 'Specific offset' },
            ]}
            value={to}
            onChange={(v) => setTo(v ?? 'earliest')}
            allowDeselect={false}
            w={160}
          />
          {to === 'timestamp' && (
            <TextInput
              label="Timestamp"
              type="datetime-local"
              value={timestamp}
              onChange={(e) => setTimestamp(e.currentTarget.value)}
            />
          )}
          {to === 'offset' && (
            <NumberInput label="Offset (every partition)" min={0} value={offset} onChange={setOffset} w={180} />
          )}
          <Button variant="light" loading={busy} onClick={() => run(true)} disabled={!topic}>
            Preview
          </Button>
        </Group>
        {error && <ErrorState error={error} />}
        {preview && (
          <>
            <Table verticalSpacing={4}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Partition</Table.Th>
                  <Table.Th>Now</Table.Th>
                  <Table.Th>After reset</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {preview.map((p) => (
                  <Table.Tr key={`${p.topic}-${p.partition}`}>
                    <Table.Td>{p.partition}</Table.Td>
                    <Table.Td>{p.previousOffset ?? '—'}</Table.Td>
                    <Table.Td fw={600}>{p.newOffset}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            <Group justify="flex-end">
              <Button color="orange" loading={busy} onClick={() => run(false)}>
                Apply reset
              </Button>
            </Group>
          </>
        )}
      </Stack>
    </Card>
  );
}
