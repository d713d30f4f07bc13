/** Topics of a cluster (MSK's ListTopics): partitions, replication, under-replicated, size; create and delete. */
import {
  ActionIcon,
  Anchor,
  Button,
  Card,
  Group,
  Modal,
  NumberInput,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Tooltip,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { Link } from 'wouter';
import { useApi } from '../App.js';
import { base64, enc } from '../api.js';
import { AsyncView, ConfirmModal, Empty, ErrorState, formatBytes, useAsync } from '../components/common.js';

/** `key=value` lines (server.properties style) to the JSON object MSK carries base64-encoded. */
export function configsFromText(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`"${line}" is not key=value`);
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

const TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

export function TopicsTab({ clusterArn, active, brokers }: { clusterArn: string; active: boolean; brokers: number }) {
  const api = useApi();
  const topics = useAsync(() => api.listTopics(clusterArn), [clusterArn], 10_000);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<string | null>(null);
  const [filter, setFilter] = useState('');
  return (
    <Stack>
      <Group justify="space-between">
        <TextInput
          placeholder="Filter topics"
          value={filter}
          onChange={(e) => setFilter(e.currentTarget.value)}
          w={260}
          maw="60%"
        />
        <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)} disabled={!active}>
          Create topic
        </Button>
      </Group>
      <Card withBorder padding={0}>
        <AsyncView state={topics} label="Loading topics…">
          {({ topics: list }) => {
            const shown = (list ?? []).filter((t) => t.topicName.includes(filter));
            return shown.length === 0 ? (
              <Empty title={filter ? 'No topic matches' : 'No topics yet'}>
                {filter
                  ? 'Clear the filter to see every topic.'
                  : 'Create one here, or let a producer create it on first write.'}
              </Empty>
            ) : (
              <Table.ScrollContainer minWidth={640}>
                <Table highlightOnHover verticalSpacing="sm" horizontalSpacing="md" data-testid="topics-table">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Topic</Table.Th>
                      <Table.Th>Partitions</Table.Th>
                      <Table.Th>Replication</Table.Th>
                      <Table.Th>Under-replicated</Table.Th>
                      <Table.Th>Size</Table.Th>
                      <Table.Th />
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {shown.map((t) => (
                      <Table.Tr key={t.topicName}>
                        <Table.Td>
                          <Anchor
                            component={Link}
                            href={`/clusters/${enc(clusterArn)}/topics/${enc(t.topicName)}`}
                            fw={600}
                          >
                            {t.topicName}
                          </Anchor>
                        </Table.Td>
                        <Table.Td>{t.partitionCount}</Table.Td>
                        <Table.Td>{t.replicationFactor}</Table.Td>
                        <Table.Td
                          c={(t.underReplicatedPartitions ?? t.outOfSyncReplicaCount ?? 0) > 0 ? 'orange' : undefined}
                        >
                          {t.underReplicatedPartitions ?? t.outOfSyncReplicaCount ?? '—'}
                        </Table.Td>
                        <Table.Td>{formatBytes(t.sizeBytes)}</Table.Td>
                        <Table.Td ta="right">
                          <Tooltip label="Delete topic">
                            <ActionIcon
                              variant="subtle"
                              color="red"
                              onClick={() => setDeleting(t.topicName)}
                              aria-label={`Delete ${t.topicName}`}
                            >
                              <IconTrash size={16} />
                            </ActionIcon>
                          </Tooltip>
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            );
          }}
        </AsyncView>
      </Card>
      <CreateTopicModal
        opened={creating}
        onClose={() => setCreating(false)}
        clusterArn={clusterArn}
        brokers={brokers}
        onCreated={topics.reload}
      />
      <ConfirmModal
        opened={deleting !== null}
        onClose={() => setDeleting(null)}
        title={`Delete topic ${deleting}?`}
        confirmLabel="Delete topic"
        danger
        onConfirm={async () => {
          if (deleting) await api.deleteTopic(clusterArn, deleting);
          notifications.show({ title: 'Topic deleted', message: deleting, color: 'orange' });
          topics.reload();
        }}
      >
        <Text size="sm">
          Its messages are deleted on every broker. Producers that write to it again may re-create it.
        </Text>
      </ConfirmModal>
    </Stack>
  );
}

function CreateTopicModal({
  opened,
  onClose,
  clusterArn,
  brokers,
  onCreated,
}: {
  opened: boolean;
  onClose: () => void;
  clusterArn: string;
  brokers: number;
  onCreated: () => void;
}) {
  const api = useApi();
  const [name, setName] = useState('');
  const [partitions, setPartitions] = useState<number | string>(3);
  const [replication, setReplication] = useState<number | string>(Math.min(3, brokers));
  const [configs, setConfigs] = useState('');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  let configError: string | undefined;
  try {
    configsFromText(configs);
  } catch (e) {
    configError = (e as Error).message;
  }
  const errors = {
    name: TOPIC.test(name) && name !== '.' && name !== '..' ? undefined : '1-249 of letters, digits, ".", "_" and "-"',
    partitions: Number(partitions) >= 1 && Number(partitions) <= 10_000 ? undefined : '1 to 10000',
    replication:
      Number(replication) >= 1 && Number(replication) <= brokers
        ? undefined
        : `1 to ${brokers} (the cluster has ${brokers} brokers)`,
    configs: configError,
  };
  const invalid = Object.values(errors).some(Boolean);
  return (
    <Modal opened={opened} onClose={onClose} title={<Text fw={600}>Create topic</Text>} centered>
      <form
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          setTouched(true);
          if (invalid) return;
          setBusy(true);
          setError(undefined);
          try {
            const cfg = configsFromText(configs);
            await api.createTopic(clusterArn, {
              topicName: name,
              partitionCount: Number(partitions),
              replicationFactor: Number(replication),
              ...(Object.keys(cfg).length ? { configs: base64(JSON.stringify(cfg)) } : {}),
            });
            notifications.show({ title: 'Topic created', message: name, color: 'teal' });
            onCreated();
            onClose();
            setName('');
            setTouched(false);
          } catch (err) {
            setError(err as Error);
          } finally {
            setBusy(false);
          }
        }}
      >
        <Stack>
          <TextInput
            label="Name"
            name="topicName"
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            error={touched && errors.name}
            data-autofocus
          />
          <Group grow>
            <NumberInput
              label="Partitions"
              name="partitionCount"
              min={1}
              value={partitions}
              onChange={setPartitions}
              error={touched && errors.partitions}
            />
            <NumberInput
              label="Replication factor"
              name="replicationFactor"
              min={1}
              max={brokers}
              value={replication}
              onChange={setReplication}
              error={touched && errors.replication}
            />
          </Group>
          <Textarea
            label="Configs"
            description="One key=value per line, e.g. retention.ms=86400000"
            autosize
            minRows={2}
            value={configs}
            onChange={(e) => setConfigs(e.currentTarget.value)}
            error={touched && errors.configs}
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
          />
          {error && <ErrorState error={error} title="The API refused the topic" />}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy}>
              Create
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
