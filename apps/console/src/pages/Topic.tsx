/**
 * A topic: partitions (leader, replicas, ISR, offsets), its configs (view and edit), a message browser
 * (from earliest, an offset, a timestamp, or the latest; filter by key; JSON, text or hex view) and a
 * produce form.
 */
import {
  Anchor,
  Badge,
  Button,
  Card,
  Code,
  Grid,
  Group,
  NumberInput,
  SegmentedControl,
  Select,
  Stack,
  Table,
  Tabs,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { Link } from 'wouter';
import { useApi } from '../App.js';
import { base64, enc, type Message, unbase64 } from '../api.js';
import { AsyncView, Empty, ErrorState, formatTime, useAsync } from '../components/common.js';
import { configsFromText } from './Topics.js';

export function TopicPage({ clusterArn, topic }: { clusterArn: string; topic: string }) {
  const api = useApi();
  const description = useAsync(() => api.describeTopic(clusterArn, topic), [clusterArn, topic]);
  const partitions = useAsync(() => api.topicPartitions(clusterArn, topic), [clusterArn, topic], 10_000);
  const [view, setView] = useState<string | null>('messages');
  return (
    <Stack>
      <div>
        <Anchor component={Link} href={`/clusters/${enc(clusterArn)}/topics`} size="sm">
          ← Topics
        </Anchor>
        <Group gap="sm" mt={4}>
          <Title order={2} data-testid="topic-name" style={{ wordBreak: 'break-all' }}>
            {topic}
          </Title>
          {description.data && (
            <>
              <Badge variant="light">{description.data.partitionCount} partitions</Badge>
              <Badge variant="light" color="gray">
                RF {description.data.replicationFactor}
              </Badge>
            </>
          )}
        </Group>
      </div>
      {description.error && <ErrorState error={description.error} onRetry={description.reload} />}
      <Tabs value={view} onChange={setView} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="messages">Messages</Tabs.Tab>
          <Tabs.Tab value="partitions">Partitions</Tabs.Tab>
          <Tabs.Tab value="configs">Configs</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="messages" pt="md">
          <Grid>
            <Grid.Col span={{ base: 12, md: 8 }}>
              <MessageBrowser
                clusterArn={clusterArn}
                topic={topic}
                partitions={description.data?.partitionCount ?? 1}
              />
            </Grid.Col>
            <Grid.Col span={{ base: 12, md: 4 }}>
              <ProduceForm clusterArn={clusterArn} topic={topic} partitions={description.data?.partitionCount ?? 1} />
            </Grid.Col>
          </Grid>
        </Tabs.Panel>
        <Tabs.Panel value="partitions" pt="md">
          <Card withBorder padding={0}>
            <AsyncView state={partitions} label="Loading partitions…">
              {({ partitions: list }) => (
                <Table.ScrollContainer minWidth={560}>
                  <Table verticalSpacing="sm" horizontalSpacing="md" data-testid="partitions-table">
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>Partition</Table.Th>
                        <Table.Th>Leader</Table.Th>
                        <Table.Th>Replicas</Table.Th>
                        <Table.Th>ISR</Table.Th>
                        <Table.Th>Earliest</Table.Th>
                        <Table.Th>Latest</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {list.map((p) => (
                        <Table.Tr key={p.partition}>
                          <Table.Td fw={600}>{p.partition}</Table.Td>
                          <Table.Td>{p.leader}</Table.Td>
                          <Table.Td>{p.replicas.join(', ')}</Table.Td>
                          <Table.Td c={p.isr.length < p.replicas.length ? 'orange' : undefined}>
                            {p.isr.join(', ')}
                          </Table.Td>
                          <Table.Td>{p.earliestOffset ?? '—'}</Table.Td>
                          <Table.Td>{p.latestOffset ?? '—'}</Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </Table.ScrollContainer>
              )}
            </AsyncView>
          </Card>
        </Tabs.Panel>
        <Tabs.Panel value="configs" pt="md">
          {description.data && (
            <ConfigEditor
              clusterArn={clusterArn}
              topic={topic}
              configs={description.data.configs}
              onSaved={description.reload}
            />
          )}
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

function ConfigEditor({
  clusterArn,
  topic,
  configs,
  onSaved,
}: {
  clusterArn: string;
  topic: string;
  configs?: string;
  onSaved: () => void;
}) {
  const api = useApi();
  let current: Record<string, string> = {};
  try {
    current = configs ? (JSON.parse(unbase64(configs)) as Record<string, string>) : {};
  } catch {}
  const [text, setText] = useState(() =>
    Object.entries(current)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  return (
    <Card withBorder padding="lg">
      <Stack>
        <Text size="sm" c="dimmed">
          Topic-level overrides, one key=value per line. Keys you remove go back to the broker default.
        </Text>
        <Textarea
          autosize
          minRows={6}
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
        />
        {error && <ErrorState error={error} />}
        <Group justify="flex-end">
          <Button
            loading={busy}
            onClick={async () => {
              setBusy(true);
              setError(undefined);
              try {
                await api.updateTopic(clusterArn, topic, { configs: base64(JSON.stringify(configsFromText(text))) });
                notifications.show({ title: 'Configs saved', message: topic, color: 'teal' });
                onSaved();
              } catch (e) {
                setError(e as Error);
              } finally {
                setBusy(false);
              }
            }}
          >
            Save configs
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}

type Format = 'text' | 'json' | 'hex';

function render(value: string | null | undefined, format: Format): string {
  if (value === null || value === undefined) return '∅';
  if (format === 'hex') {
    return Array.from(new TextEncoder().encode(value), (b) => b.toString(16).padStart(2, '0')).join(' ');
  }
  if (format === 'json') {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return value;
}

function MessageBrowser({ clusterArn, topic, partitions }: { clusterArn: string; topic: string; partitions: number }) {
  const api = useApi();
  const [from, setFrom] = useState('earliest');
  const [partition, setPartition] = useState<string | null>('all');
  const [offset, setOffset] = useState<number | string>(0);
  const [timestamp, setTimestamp] = useState('');
  const [key, setKey] = useState('');
  const [format, setFormat] = useState<Format>('text');
  const [query, setQuery] = useState(0);
  const messages = useAsync(
    () =>
      api.readMessages(clusterArn, topic, {
        from,
        partition: partition === 'all' ? undefined : (partition ?? undefined),
        offset: from === 'offset' ? Number(offset) : undefined,
        timestamp: from === 'timestamp' && timestamp ? new Date(timestamp).toISOString() : undefined,
        key: key || undefined,
        limit: 50,
      }),
    [clusterArn, topic, query],
  );
  return (
    <Card withBorder padding="lg">
      <Stack>
        <Text fw={600}>Message browser</Text>
        <Group align="flex-end" gap="sm">
          <Select
            label="From"
            data={[
              { value: 'earliest', label: 'Earliest' },
              { value: 'latest', label: 'Latest' },
              { value: 'offset', label: 'Offset' },
              { value: 'timestamp', label: 'Timestamp' },
            ]}
            value={from}
            onChange={(v) => setFrom(v ?? 'earliest')}
            allowDeselect={false}
            w={130}
          />
          <Select
            label="Partition"
            data={[
              { value: 'all', label: 'All' },
              ...Array.from({ length: partitions }, (_, i) => ({ value: String(i), label: String(i) })),
            ]}
            value={partition}
            onChange={setPartition}
            allowDeselect={false}
            w={110}
          />
          {from === 'offset' && <NumberInput label="Offset" min={0} value={offset} onChange={setOffset} w={120} />}
          {from === 'timestamp' && (
            <TextInput
              label="Timestamp"
              type="datetime-local"
              value={timestamp}
              onChange={(e) => setTimestamp(e.currentTarget.value)}
              w={210}
            />
          )}
          <TextInput label="Key contains" value={key} onChange={(e) => setKey(e.currentTarget.value)} w={150} />
          <Button onClick={() => setQuery((q) => q + 1)} variant="light">
            Read
          </Button>
        </Group>
        <SegmentedControl
          size="xs"
          data={['text', 'json', 'hex']}
          value={format}
          onChange={(v) => setFormat(v as Format)}
          w={200}
        />
        <AsyncView state={messages} label="Reading messages…">
          {({ messages: list }) =>
            list.length === 0 ? (
              <Empty title="No messages">
                Nothing from this position. Produce one on the right, or read from earliest.
              </Empty>
            ) : (
              <Stack gap="xs" data-testid="messages">
                {list.map((m: Message) => (
                  <Card key={`${m.partition}-${m.offset}`} withBorder padding="sm" radius="sm">
                    <Group gap="xs" mb={4}>
                      <Badge size="sm" variant="light">
                        p{m.partition}
                      </Badge>
                      <Badge size="sm" variant="light" color="gray">
                        offset {m.offset}
                      </Badge>
                      <Text size="xs" c="dimmed">
                        {formatTime(m.timestamp)}
                      </Text>
                      {m.key !== undefined && m.key !== null && (
                        <Text size="xs">
                          key <Code>{m.key}</Code>
                        </Text>
                      )}
                    </Group>
                    <Code block data-testid="message-value">
                      {render(m.value, format)}
                    </Code>
                  </Card>
                ))}
              </Stack>
            )
          }
        </AsyncView>
      </Stack>
    </Card>
  );
}

function ProduceForm({ clusterArn, topic, partitions }: { clusterArn: string; topic: string; partitions: number }) {
  const api = useApi();
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [partition, setPartition] = useState<string | null>('auto');
  const [headers, setHeaders] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  return (
    <Card
      withBorder
      padding="lg"
      component="form"
      onSubmit={async (e: React.FormEvent) => {
        e.preventDefault();
        setBusy(true);
        setError(undefined);
        try {
          const h = configsFromText(headers);
          const result = await api.produceMessage(clusterArn, topic, {
            ...(key ? { key } : {}),
            value,
            ...(partition !== 'auto' && partition !== null ? { partition: Number(partition) } : {}),
            ...(Object.keys(h).length ? { headers: h } : {}),
          });
          notifications.show({
            title: 'Produced',
            message: `partition ${result.partition}, offset ${result.offset}`,
            color: 'teal',
          });
          setValue('');
        } catch (err) {
          setError(err as Error);
        } finally {
          setBusy(false);
        }
      }}
    >
      <Stack>
        <Text fw={600}>Produce</Text>
        <TextInput
          label="Key"
          name="key"
          value={key}
          onChange={(e) => setKey(e.currentTarget.value)}
          placeholder="optional"
        />
        <Textarea
          label="Value"
          name="value"
          autosize
          minRows={3}
          value={value}
          onChange={(e) => setValue(e.currentTarget.value)}
          required
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
        />
        <Select
          label="Partition"
          data={[
            { value: 'auto', label: 'By key (default partitioner)' },
            ...Array.from({ length: partitions }, (_, i) => ({ value: String(i), label: String(i) })),
          ]}
          value={partition}
          onChange={setPartition}
          allowDeselect={false}
        />
        <Textarea
          label="Headers"
          description="name=value per line"
          autosize
          minRows={1}
          value={headers}
          onChange={(e) => setHeaders(e.currentTarget.value)}
        />
        {error && <ErrorState error={error} />}
        <Button type="submit" loading={busy}>
          Produce message
        </Button>
      </Stack>
    </Card>
  );
}
