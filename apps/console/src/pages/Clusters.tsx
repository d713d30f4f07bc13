/** The clusters list: state, version, broker count, broker type, health; polls every 5 s. */
import { Anchor, Button, Card, Group, Stack, Table, Text, Title } from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import { Link } from 'wouter';
import { useApi } from '../App.js';
import { enc } from '../api.js';
import { AsyncView, Empty, StateBadge, since, useAsync } from '../components/common.js';
import { HealthBadge } from '../components/Health.js';

export function ClustersPage() {
  const api = useApi();
  const clusters = useAsync(() => api.listClusters(), [], 5_000);
  return (
    <Stack>
      <Group justify="space-between">
        <div>
          <Title order={2}>Clusters</Title>
          <Text c="dimmed" size="sm">
            Kafka-compatible clusters on this control plane
          </Text>
        </div>
        <Button component={Link} href="/create" leftSection={<IconPlus size={16} />}>
          Create cluster
        </Button>
      </Group>
      <Card withBorder padding={0}>
        <AsyncView state={clusters} label="Loading clusters…">
          {({ clusterInfoList }) =>
            clusterInfoList.length === 0 ? (
              <Empty
                title="No clusters yet"
                action={
                  <Button component={Link} href="/create" variant="light" leftSection={<IconPlus size={16} />}>
                    Create your first cluster
                  </Button>
                }
              >
                A cluster takes a few seconds to start. Pick a version, a broker count and storage; you can change all
                of them later.
              </Empty>
            ) : (
              <>
                {/* Narrow screens: one card per cluster instead of a table to scroll sideways. */}
                <Stack hiddenFrom="sm" gap={0} data-testid="clusters-cards">
                  {clusterInfoList.map((c) => (
                    <Card
                      key={c.clusterArn}
                      component={Link}
                      href={`/clusters/${enc(c.clusterArn)}`}
                      radius={0}
                      padding="md"
                      style={{ borderBottom: '1px solid var(--mantine-color-default-border)' }}
                    >
                      <Group justify="space-between" wrap="nowrap">
                        <Text fw={600} c="var(--mantine-primary-color-filled)" truncate>
                          {c.clusterName}
                        </Text>
                        <StateBadge state={c.state} />
                      </Group>
                      <Group gap="xs" mt={6}>
                        <Text size="sm" c="dimmed">
                          {c.provisioned?.currentBrokerSoftwareInfo?.kafkaVersion} ·{' '}
                          {c.provisioned?.numberOfBrokerNodes} brokers ·{' '}
                          {c.provisioned?.brokerNodeGroupInfo.instanceType} · {since(c.creationTime)}
                        </Text>
                        <HealthBadge clusterArn={c.clusterArn} state={c.state} />
                      </Group>
                    </Card>
                  ))}
                </Stack>
                <Table.ScrollContainer minWidth={720} visibleFrom="sm">
                  <Table highlightOnHover verticalSpacing="sm" horizontalSpacing="md" data-testid="clusters-table">
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>Name</Table.Th>
                        <Table.Th>State</Table.Th>
                        <Table.Th>Health</Table.Th>
                        <Table.Th>Version</Table.Th>
                        <Table.Th>Brokers</Table.Th>
                        <Table.Th>Broker type</Table.Th>
                        <Table.Th>Age</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {clusterInfoList.map((c) => (
                        <Table.Tr key={c.clusterArn}>
                          <Table.Td>
                            <Anchor component={Link} href={`/clusters/${enc(c.clusterArn)}`} fw={600}>
                              {c.clusterName}
                            </Anchor>
                          </Table.Td>
                          <Table.Td>
                            <StateBadge state={c.state} />
                          </Table.Td>
                          <Table.Td>
                            <HealthBadge clusterArn={c.clusterArn} state={c.state} />
                          </Table.Td>
                          <Table.Td>{c.provisioned?.currentBrokerSoftwareInfo?.kafkaVersion ?? '—'}</Table.Td>
                          <Table.Td>{c.provisioned?.numberOfBrokerNodes ?? '—'}</Table.Td>
                          <Table.Td className="nowrap">
                            {c.provisioned?.brokerNodeGroupInfo.instanceType ?? '—'}
                          </Table.Td>
                          <Table.Td className="nowrap">{since(c.creationTime)}</Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </Table.ScrollContainer>
              </>
            )
          }
        </AsyncView>
      </Card>
    </Stack>
  );
}
