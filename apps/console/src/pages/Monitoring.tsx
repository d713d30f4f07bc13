/**
 * Monitoring (issue 8): MSK's metric names over a chosen time range, from GET
 * /v1/clusters/{arn}/metrics. One chart per metric; series per broker/topic where the level keeps them.
 */
import { Card, Group, SegmentedControl, SimpleGrid, Stack, Text } from '@mantine/core';
import { useMemo, useState } from 'react';
import { useApi } from '../App.js';
import type { Metric, MetricSeries } from '../api.js';
import { AsyncView, Empty, useAsync } from '../components/common.js';
import { TimeChart } from '../components/TimeChart.js';

const CHARTS: { name: string; title: string }[] = [
  { name: 'BytesInPerSec', title: 'Bytes in / s' },
  { name: 'BytesOutPerSec', title: 'Bytes out / s' },
  { name: 'MessagesInPerSec', title: 'Messages in / s' },
  { name: 'UnderReplicatedPartitions', title: 'Under-replicated partitions' },
  { name: 'OfflinePartitionsCount', title: 'Offline partitions' },
  { name: 'KafkaDataLogsDiskUsed', title: 'Disk used' },
  { name: 'CpuUser', title: 'CPU user (%)' },
  { name: 'SumOffsetLag', title: 'Consumer lag (sum)' },
];
const RANGES: Record<string, { seconds: number; step: number }> = {
  '15m': { seconds: 900, step: 15 },
  '1h': { seconds: 3600, step: 60 },
  '6h': { seconds: 21600, step: 300 },
  '24h': { seconds: 86400, step: 900 },
  '7d': { seconds: 604800, step: 3600 },
};

function toSeconds(t: string | number): number {
  return typeof t === 'number' ? (t > 1e11 ? t / 1000 : t) : new Date(t).getTime() / 1000;
}

/** Aligns the API's series (points or timestamps+values) on one time axis for uPlot. */
export function align(series: MetricSeries[]): {
  timestamps: number[];
  series: { label: string; values: (number | null)[] }[];
} {
  const rows = series.map((s) => {
    const points: [number, number][] = s.timestamps.map((t, i) => [toSeconds(t), s.values[i] ?? 0]);
    const label =
      Object.entries(s.dimensions ?? {})
        .map(([k, v]) => `${k} ${v}`)
        .join(' ') || s.name;
    return { label, points: new Map(points) };
  });
  const timestamps = [...new Set(rows.flatMap((r) => [...r.points.keys()]))].sort((a, b) => a - b);
  return {
    timestamps,
    series: rows.map((r) => ({ label: r.label, values: timestamps.map((t) => r.points.get(t) ?? null) })),
  };
}

export function MonitoringTab({ clusterArn }: { clusterArn: string }) {
  const api = useApi();
  const [range, setRange] = useState('1h');
  const metrics = useAsync(
    () => {
      const { seconds, step } = RANGES[range] ?? { seconds: 3600, step: 60 };
      const end = new Date();
      return api.metrics(
        clusterArn,
        CHARTS.map((c) => c.name),
        new Date(end.getTime() - seconds * 1000),
        end,
        step,
      );
    },
    [clusterArn, range],
    30_000,
  );
  return (
    <Stack>
      <Group justify="space-between">
        <Text c="dimmed" size="sm">
          Scraped from every broker by the monitor; MSK's metric names.
        </Text>
        <SegmentedControl size="xs" data={Object.keys(RANGES)} value={range} onChange={setRange} />
      </Group>
      <AsyncView state={metrics} label="Loading metrics…">
        {({ metrics: list }) => (
          <Charts list={list.flatMap((m: Metric) => m.series.map((s) => ({ ...s, name: m.name })))} />
        )}
      </AsyncView>
    </Stack>
  );
}

function Charts({ list }: { list: MetricSeries[] }) {
  const byName = useMemo(() => {
    const m = new Map<string, ReturnType<typeof align>>();
    for (const c of CHARTS) m.set(c.name, align(list.filter((s) => s.name === c.name)));
    return m;
  }, [list]);
  if (list.length === 0)
    return <Empty title="No samples yet">The monitor stores a sample per scrape; come back in a minute.</Empty>;
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }}>
      {CHARTS.map((c) => {
        const data = byName.get(c.name);
        return (
          <Card key={c.name} withBorder padding="md">
            <Text fw={600} size="sm" mb="xs">
              {c.title}
            </Text>
            {!data || data.timestamps.length < 2 ? (
              <Text size="sm" c="dimmed">
                No samples in this range.
              </Text>
            ) : (
              <TimeChart timestamps={data.timestamps} series={data.series} height={180} />
            )}
          </Card>
        );
      })}
    </SimpleGrid>
  );
}
