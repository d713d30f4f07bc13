/** MSK configurations (server.properties text with revisions): list and create. */
import { Button, Card, Group, Modal, Stack, Table, Text, Textarea, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { useApi } from '../App.js';
import { base64 } from '../api.js';
import { AsyncView, Empty, ErrorState, useAsync } from '../components/common.js';

export function ConfigurationsPage() {
  const api = useApi();
  const list = useAsync(() => api.listConfigurations(), []);
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [text, setText] = useState('auto.create.topics.enable=true\nlog.retention.hours=168\n');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  return (
    <Stack>
      <Group justify="space-between">
        <div>
          <Title order={2}>Configurations</Title>
          <Text c="dimmed" size="sm">
            Broker settings (server.properties) to create clusters with or apply to them
          </Text>
        </div>
        <Button leftSection={<IconPlus size={16} />} onClick={() => setOpen(true)}>
          Create configuration
        </Button>
      </Group>
      <Card withBorder padding={0}>
        <AsyncView state={list} label="Loading configurations…">
          {({ configurations }) =>
            configurations.length === 0 ? (
              <Empty title="No configurations">Clusters without one run with the brokers' defaults.</Empty>
            ) : (
              <Table.ScrollContainer minWidth={480}>
                <Table verticalSpacing="sm" horizontalSpacing="md">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Name</Table.Th>
                      <Table.Th>Latest revision</Table.Th>
                      <Table.Th>ARN</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {configurations.map((c) => (
                      <Table.Tr key={c.arn}>
                        <Table.Td fw={600}>{c.name}</Table.Td>
                        <Table.Td>{c.latestRevision.revision}</Table.Td>
                        <Table.Td className="mono">{c.arn}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            )
          }
        </AsyncView>
      </Card>
      <Modal
        opened={open}
        onClose={() => setOpen(false)}
        title={<Text fw={600}>Create configuration</Text>}
        centered
        size="lg"
      >
        <Stack>
          <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <Textarea
            label="server.properties"
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
              disabled={!name}
              onClick={async () => {
                setBusy(true);
                setError(undefined);
                try {
                  await api.post('/v1/configurations', { name, serverProperties: base64(text) });
                  notifications.show({ title: 'Configuration created', message: name, color: 'teal' });
                  setOpen(false);
                  list.reload();
                } catch (e) {
                  setError(e as Error);
                } finally {
                  setBusy(false);
                }
              }}
            >
              Create
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
