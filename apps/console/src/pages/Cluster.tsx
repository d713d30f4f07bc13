/**
 * A cluster: header with state and actions, health banner, and tabs for the overview (brokers,
 * bootstrap strings, settings), operations (live timeline), topics, consumer groups, security and
 * monitoring. Polls quickly while the cluster is busy, slowly otherwise, and sooner on an event.
 */
import {
  Alert,
  Anchor,
  Badge,
  Card,
  Group,
  ScrollArea,
  SimpleGrid,
  Stack,
  Table,
  Tabs,
  Text,
  Title,
} from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { Link, useLocation } from 'wouter';
import { useApi } from '../App.js';
import { type ClusterV2, enc } from '../api.js';
import { AsyncView, Empty, ErrorState, formatBytes, Loading, StateBadge, useAsync } from '../components/common.js';
import { HealthBanner } from '../components/Health.js';
import { useEvents } from '../events.js';
import { securitySummary } from '../security.js';
import { ClusterActions } from './ClusterActions.js';
import { BootstrapPanel } from './Connect.js';
import { GroupsTab } from './Groups.js';
import { MonitoringTab } from './Monitoring.js';
import { OperationsTab } from './Operations.js';
import { SecurityTab } from './Security.js';
import { TopicsTab } from './Topics.js';

const BUSY = new Set(['CREATING', 'UPDATING', 'REBOOTING_BROKER', 'HEALING', 'DELETING', 'MAINTENANCE']);

export function ClusterPage({ clusterArn, tab }: { clusterArn: string; tab: string }) {
  const api = useApi();
  const [, navigate] = useLocation();
  const cluster = useAsync(() => api.describeCluster(clusterArn), [clusterArn], 3_000);
  useEvents(api, (e) => {
    const d = e.data as { clusterArn?: string } | undefined;
    if (!d?.clusterArn || d.clusterArn === clusterArn) cluster.reload();
  });
  if (!cluster.data) {
    return cluster.error ? (
      <ErrorState error={cluster.error} onRetry={cluster.reload} />
    ) : (
      <Loading label="Loading cluster…" />
    );
  }
  const c = cluster.data.clusterInfo;
  const busy = BUSY.has(c.state);
  const base = `/clusters/${enc(clusterArn)}`;
  return (
    <Stack>
      <div>
        <Anchor component={Link} href="/" size="sm">
          ← Clusters
        </Anchor>
        <Group justify="space-between" align="flex-start" mt={4}>
          <Group gap="sm">
            <Title order={2} data-testid="cluster-name">
              {c.clusterName}
            </Title>
            <StateBadge state={c.state} />
            <Badge variant="outline" color="gray">
              {c.provisioned?.currentBrokerSoftwareInfo?.kafkaVersion}
            </Badge>
          </Group>
          <ClusterActions cluster={c} onChanged={cluster.reload} />
        </Group>
        <Text size="xs" c="dimmed" className="mono" mt={4}>
          {c.clusterArn}
        </Text>
      </div>
      {cluster.error && <ErrorState error={cluster.error} onRetry={cluster.reload} title="Could not refresh" />}
      {c.state === 'FAILED' && (
        <Alert
          color="red"
          variant="light"
          icon={<IconAlertTriangle size={18} />}
          title={`Failed${c.stateInfo?.code ? `: ${c.stateInfo.code}` : ''}`}
        >
          {c.stateInfo?.message ?? 'The last operation failed.'} A failed cluster can only be deleted; see the
          Operations tab for the step that failed.
        </Alert>
      )}
      <HealthBanner clusterArn={clusterArn} state={c.state} />
      <Tabs value={tab} onChange={(t) => navigate(t === 'overview' ? base : `${base}/${t}`)} keepMounted={false}>
        <ScrollArea type="never">
          <Tabs.List style={{ flexWrap: 'nowrap' }}>
            <Tabs.Tab value="overview">Overview</Tabs.Tab>
            <Tabs.Tab value="operations">Operations</Tabs.Tab>
            <Tabs.Tab value="topics">Topics</Tabs.Tab>
            <Tabs.Tab value="groups">Consumer groups</Tabs.Tab>
            <Tabs.Tab value="security">Security</Tabs.Tab>
            <Tabs.Tab value="monitoring">Monitoring</Tabs.Tab>
          </Tabs.List>
        </ScrollArea>
        <Tabs.Panel value="overview" pt="md">
          <Overview cluster={c} busy={busy} />
        </Tabs.Panel>
        <Tabs.Panel value="operations" pt="md">
          <OperationsTab clusterArn={clusterArn} busy={busy} />
        </Tabs.Panel>
        <Tabs.Panel value="topics" pt="md">
          <TopicsTab
            clusterArn={clusterArn}
            active={c.state === 'ACTIVE'}
            brokers={c.provisioned?.numberOfBrokerNodes ?? 1}
          />
        </Tabs.Panel>
        <Tabs.Panel value="groups" pt="md">
          <GroupsTab clusterArn={clusterArn} />
        </Tabs.Panel>
        <Tabs.Panel value="security" pt="md">
          <SecurityTab cluster={c} />
        </Tabs.Panel>
        <Tabs.Panel value="monitoring" pt="md">
          <MonitoringTab clusterArn={clusterArn} />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

function Overview({ cluster: c, busy }: { cluster: ClusterV2; busy: boolean }) {
  const api = useApi();
  const ready = c.state !== 'CREATING' && c.state !== 'FAILED';
  const nodes = useAsync(
    () => (ready ? api.listNodes(c.clusterArn) : Promise.resolve(null)),
    [c.clusterArn, ready],
    busy ? 3_000 : 15_000,
  );
  const p = c.provisioned;
  const security = securitySummary(p?.clientAuthentication, p?.encryptionInfo);
  return (
    <Stack>
      <SimpleGrid cols={{ base: 2, sm: 3 }}>
        <Fact label="Brokers" value={String(p?.numberOfBrokerNodes ?? '—')} />
        <Fact label="Broker type" value={p?.brokerNodeGroupInfo.instanceType ?? '—'} />
        <Fact
          label="Storage per broker"
          value={`${p?.brokerNodeGroupInfo.storageInfo?.ebsStorageInfo?.volumeSize ?? '—'} GiB`}
        />
        <Fact label="Monitoring" value={p?.enhancedMonitoring ?? 'DEFAULT'} />
        <Fact label="Client authentication" value={security.authentication} />
        <Fact label="Encryption in transit" value={security.encryption} />
      </SimpleGrid>
      <BootstrapPanel cluster={c} ready={ready} />
      <Card withBorder padding={0}>
        <Text fw={600} p="lg" pb="xs">
          Brokers
        </Text>
        {!ready ? (
          <Empty title={c.state === 'FAILED' ? 'No brokers' : 'Brokers are starting'}>
            {c.state === 'FAILED'
              ? 'See the Operations tab for what failed.'
              : 'They appear here as they register with the quorum.'}
          </Empty>
        ) : (
          <AsyncView state={nodes} label="Loading brokers…">
            {(n) =>
              !n || n.nodeInfoList.length === 0 ? (
                <Empty title="No brokers registered yet" />
              ) : (
                <Table.ScrollContainer minWidth={640}>
                  <Table verticalSpacing="sm" horizontalSpacing="lg" data-testid="brokers-table">
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>Broker</Table.Th>
                        <Table.Th>State</Table.Th>
                        <Table.Th>Endpoint</Table.Th>
                        <Table.Th>Zone</Table.Th>
                        <Table.Th>Leaders</Table.Th>
                        <Table.Th>Disk used</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {n.nodeInfoList
                        .slice()
                        .sort((a, b) => (a.brokerNodeInfo?.brokerId ?? 0) - (b.brokerNodeInfo?.brokerId ?? 0))
                        .map((node) => (
                          <Table.Tr key={node.nodeARN ?? node.brokerNodeInfo?.brokerId}>
                            <Table.Td fw={600}>{node.brokerNodeInfo?.brokerId ?? '—'}</Table.Td>
                            <Table.Td>
                              <StateBadge state={node.state ?? (c.state === 'ACTIVE' ? 'ACTIVE' : c.state)} />
                            </Table.Td>
                            <Table.Td className="mono">
                              {(node.brokerNodeInfo?.endpoints ?? []).join(', ') || '—'}
                            </Table.Td>
                            <Table.Td>{node.brokerNodeInfo?.clientSubnet ?? '—'}</Table.Td>
                            <Table.Td>{node.leaderCount ?? '—'}</Table.Td>
                            <Table.Td>{formatBytes(node.diskUsedBytes)}</Table.Td>
                          </Table.Tr>
                        ))}
                    </Table.Tbody>
                  </Table>
                </Table.ScrollContainer>
              )
            }
          </AsyncView>
        )}
      </Card>
    </Stack>
  );
}

function Fact({ label, value }: { label: string; value: string }) {
  return (
    <Card withBorder padding="md">
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text fw={600} mt={4} style={{ wordBreak: 'break-word' }}>
        {value}
      </Text>
    </Card>
  );
}
