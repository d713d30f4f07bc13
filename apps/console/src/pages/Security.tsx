/**
 * ACLs (Kafka's resource/pattern/operation choices) and SCRAM users of a cluster. Users are for
 * clusters with SASL/SCRAM authentication: elsewhere the card says how to get a cluster that has it, and
 * a new user is shown how to sign in (mechanism, SASL/SCRAM bootstrap string, client settings).
 */
import {
  ActionIcon,
  Alert,
  Button,
  Card,
  Group,
  Modal,
  PasswordInput,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconInfoCircle, IconKey, IconPlus, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { Link } from 'wouter';
import { useApi } from '../App.js';
import { type Acl, ApiError, type ClusterV2 } from '../api.js';
import { AsyncView, ConfirmModal, CopyField, Empty, ErrorState, formatTime, useAsync } from '../components/common.js';
import { BOOTSTRAP_MODES, clusterAuthentication } from '../security.js';
import { ClientSettings, DownloadCaButton } from './Connect.js';

const SASL_SCRAM = BOOTSTRAP_MODES.find((m) => m.protocol === 'SASL_SSL') ?? BOOTSTRAP_MODES[2];

const RESOURCE_TYPES = ['TOPIC', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID', 'DELEGATION_TOKEN'];
const PATTERNS = ['LITERAL', 'PREFIXED'];
const OPERATIONS = [
  'ALL',
  'READ',
  'WRITE',
  'CREATE',
  'DELETE',
  'ALTER',
  'DESCRIBE',
  'CLUSTER_ACTION',
  'DESCRIBE_CONFIGS',
  'ALTER_CONFIGS',
  'IDEMPOTENT_WRITE',
];
const PERMISSIONS = ['ALLOW', 'DENY'];

export function SecurityTab({ cluster }: { cluster: ClusterV2 }) {
  const { scram } = clusterAuthentication(cluster.provisioned?.clientAuthentication);
  return (
    <SimpleGrid cols={{ base: 1, lg: 2 }}>
      <Acls clusterArn={cluster.clusterArn} />
      {scram ? <Users cluster={cluster} /> : <ScramNotEnabled />}
    </SimpleGrid>
  );
}

/** Guidance instead of a user list: the cluster has no SASL/SCRAM listener where users could sign in. */
function ScramNotEnabled({ refusal }: { refusal?: string }) {
  return (
    <Card withBorder padding={0}>
      <Group justify="space-between" p="md">
        <Text fw={600}>SCRAM users</Text>
      </Group>
      <Stack p="md" pt={0}>
        <Alert
          color="blue"
          variant="light"
          icon={<IconInfoCircle size={18} />}
          title="SASL/SCRAM is not enabled on this cluster"
          data-testid="scram-not-enabled"
        >
          <Stack gap="xs">
            <Text size="sm">
              {refusal ??
                'It was created without SASL/SCRAM authentication, so it has no listener where users could sign in.'}
            </Text>
            <Text size="sm">
              Turn it on for this cluster with Actions → Edit security (MSK's UpdateSecurity: SASL/SCRAM with TLS
              between clients and brokers, applied by rolling restarts while clients keep working), then create users
              here once the operation has completed. Or create a new cluster with SASL/SCRAM and move its clients there.
            </Text>
            <Group>
              <Button size="xs" variant="light" component={Link} href="/create?authentication=scram">
                Create a cluster with SASL/SCRAM
              </Button>
            </Group>
          </Stack>
        </Alert>
      </Stack>
    </Card>
  );
}

function Acls({ clusterArn }: { clusterArn: string }) {
  const api = useApi();
  const acls = useAsync(() => api.listAcls(clusterArn), [clusterArn]);
  const [filter, setFilter] = useState('');
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<Acl | null>(null);
  return (
    <Card withBorder padding={0}>
      <Group justify="space-between" p="md">
        <Text fw={600}>ACLs</Text>
        <Group gap="xs">
          <TextInput
            size="xs"
            placeholder="Filter principal or resource"
            value={filter}
            onChange={(e) => setFilter(e.currentTarget.value)}
          />
          <Button size="xs" leftSection={<IconPlus size={14} />} onClick={() => setAdding(true)}>
            Add
          </Button>
        </Group>
      </Group>
      {!acls.data && acls.error instanceof ApiError && acls.error.message.includes('SECURITY_DISABLED') ? (
        <Stack p="md" pt={0}>
          <Alert
            color="blue"
            variant="light"
            icon={<IconInfoCircle size={18} />}
            title="ACLs are not enforced on this cluster"
            data-testid="acls-not-enforced"
          >
            Its brokers have no authorizer, so every client may do everything. MSK turns the authorizer on with
            SASL/SCRAM or TLS client authentication; a configuration that sets authorizer.class.name does too.
          </Alert>
        </Stack>
      ) : (
        <AsyncView state={acls} label="Loading ACLs…">
          {({ acls: list }) => {
            const shown = list.filter(
              (a) => !filter || a.principal.includes(filter) || a.resourceName.includes(filter),
            );
            return shown.length === 0 ? (
              <Empty title={filter ? 'No ACL matches' : 'No ACLs'}>
                A resource without ACLs is open to every client (allow.everyone.if.no.acl.found=true, MSK's default);
                once it has one, clients get only what its ACLs allow.
              </Empty>
            ) : (
              <Table.ScrollContainer minWidth={560}>
                <Table verticalSpacing="xs" horizontalSpacing="md">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Principal</Table.Th>
                      <Table.Th>Resource</Table.Th>
                      <Table.Th>Operation</Table.Th>
                      <Table.Th>Permission</Table.Th>
                      <Table.Th />
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {shown.map((a) => (
                      <Table.Tr key={JSON.stringify(a)}>
                        <Table.Td>{a.principal}</Table.Td>
                        <Table.Td>
                          {a.resourceType}:{a.patternType === 'PREFIXED' ? `${a.resourceName}*` : a.resourceName}
                        </Table.Td>
                        <Table.Td>{a.operation}</Table.Td>
                        <Table.Td c={a.permissionType === 'DENY' ? 'red' : 'teal'}>{a.permissionType}</Table.Td>
                        <Table.Td>
                          <ActionIcon
                            variant="subtle"
                            color="red"
                            onClick={() => setRemoving(a)}
                            aria-label="Delete ACL"
                          >
                            <IconTrash size={16} />
                          </ActionIcon>
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            );
          }}
        </AsyncView>
      )}
      <AclModal opened={adding} onClose={() => setAdding(false)} clusterArn={clusterArn} onCreated={acls.reload} />
      <ConfirmModal
        opened={removing !== null}
        onClose={() => setRemoving(null)}
        title="Delete ACL?"
        confirmLabel="Delete"
        danger
        onConfirm={async () => {
          if (removing) await api.deleteAcl(clusterArn, removing);
          acls.reload();
        }}
      >
        <Text size="sm">
          {removing?.principal} loses {removing?.permissionType} {removing?.operation} on {removing?.resourceType}{' '}
          {removing?.resourceName}.
        </Text>
      </ConfirmModal>
    </Card>
  );
}

function AclModal({
  opened,
  onClose,
  clusterArn,
  onCreated,
}: {
  opened: boolean;
  onClose: () => void;
  clusterArn: string;
  onCreated: () => void;
}) {
  const api = useApi();
  const [acl, setAcl] = useState<Acl>({
    resourceType: 'TOPIC',
    resourceName: '',
    patternType: 'LITERAL',
    principal: 'User:',
    host: '*',
    operation: 'READ',
    permissionType: 'ALLOW',
  });
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const set = (k: keyof Acl, v: string | null) => setAcl((a) => ({ ...a, [k]: v ?? '' }));
  const principalOk = /^User:.+/.test(acl.principal);
  return (
    <Modal opened={opened} onClose={onClose} title={<Text fw={600}>Add ACL</Text>} centered>
      <Stack>
        <TextInput
          label="Principal"
          value={acl.principal}
          onChange={(e) => set('principal', e.currentTarget.value)}
          error={!principalOk && 'User:<name>, or User:* for everyone'}
        />
        <SimpleGrid cols={2}>
          <Select
            label="Resource type"
            data={RESOURCE_TYPES}
            value={acl.resourceType}
            onChange={(v) => set('resourceType', v)}
            allowDeselect={false}
          />
          <Select
            label="Pattern"
            data={PATTERNS}
            value={acl.patternType}
            onChange={(v) => set('patternType', v)}
            allowDeselect={false}
          />
        </SimpleGrid>
        <TextInput
          label="Resource name"
          value={acl.resourceType === 'CLUSTER' ? 'kafka-cluster' : acl.resourceName}
          disabled={acl.resourceType === 'CLUSTER'}
          onChange={(e) => set('resourceName', e.currentTarget.value)}
          description="* for every resource of the type"
        />
        <SimpleGrid cols={2}>
          <Select
            label="Operation"
            data={OPERATIONS}
            value={acl.operation}
            onChange={(v) => set('operation', v)}
            allowDeselect={false}
          />
          <Select
            label="Permission"
            data={PERMISSIONS}
            value={acl.permissionType}
            onChange={(v) => set('permissionType', v)}
            allowDeselect={false}
          />
        </SimpleGrid>
        <TextInput label="Host" value={acl.host} onChange={(e) => set('host', e.currentTarget.value)} />
        {error && <ErrorState error={error} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            loading={busy}
            disabled={!principalOk || (acl.resourceType !== 'CLUSTER' && !acl.resourceName)}
            onClick={async () => {
              setBusy(true);
              setError(undefined);
              try {
                await api.createAcl(clusterArn, {
                  ...acl,
                  resourceName: acl.resourceType === 'CLUSTER' ? 'kafka-cluster' : acl.resourceName,
                });
                notifications.show({ title: 'ACL added', message: acl.principal, color: 'teal' });
                onCreated();
                onClose();
              } catch (e) {
                setError(e as Error);
              } finally {
                setBusy(false);
              }
            }}
          >
            Add ACL
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** What a new user needs to sign in: mechanism, SASL/SCRAM bootstrap string, CA and client settings. */
function SignInAs({ cluster, username, mechanism }: { cluster: ClusterV2; username: string; mechanism: string }) {
  const api = useApi();
  const bootstrap = useAsync(() => api.bootstrapBrokers(cluster.clusterArn), [cluster.clusterArn]);
  return (
    <Stack data-testid="scram-sign-in">
      <Text size="sm">
        <b>{username}</b> signs in with SASL/SCRAM, mechanism <b>{mechanism}</b>, over TLS (security.protocol SASL_SSL)
        to the SASL/SCRAM bootstrap servers. Topics without ACLs are open to every user (MSK's default
        allow.everyone.if.no.acl.found=true); add ACLs for User:{username} to restrict it.
      </Text>
      <AsyncView state={bootstrap} label="Loading bootstrap servers…">
        {(b) =>
          b.bootstrapBrokerStringSaslScram ? (
            <Stack gap="sm">
              <CopyField
                label="SASL/SCRAM bootstrap servers"
                value={b.bootstrapBrokerStringSaslScram}
                testId="sign-in-bootstrap"
              />
              <ClientSettings
                mode={SASL_SCRAM}
                servers={b.bootstrapBrokerStringSaslScram}
                clusterName={cluster.clusterName}
                username={username}
                mechanism={mechanism}
              />
            </Stack>
          ) : (
            <Text size="sm" c="dimmed">
              The cluster reports no SASL/SCRAM bootstrap servers yet.
            </Text>
          )
        }
      </AsyncView>
      <Group>
        <DownloadCaButton cluster={cluster} />
      </Group>
    </Stack>
  );
}

function Users({ cluster }: { cluster: ClusterV2 }) {
  const api = useApi();
  const clusterArn = cluster.clusterArn;
  const users = useAsync(() => api.listUsers(clusterArn), [clusterArn]);
  const [created, setCreated] = useState<{ username: string; mechanism: string } | null>(null);
  const [mode, setMode] = useState<{ kind: 'create' } | { kind: 'rotate'; username: string } | null>(null);
  const [removing, setRemoving] = useState<string | null>(null);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [mechanism, setMechanism] = useState<string | null>('SCRAM-SHA-512');
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  // The API refuses users where SCRAM is off (BadRequestException naming the cluster's clientAuthentication):
  // guidance, not an error. Any other 400 (a cluster still CREATING) is shown as what it is.
  if (!users.data && users.error instanceof ApiError && users.error.invalidParameter === 'clientAuthentication') {
    return <ScramNotEnabled refusal={users.error.message} />;
  }
  const closeModal = () => {
    setMode(null);
    setCreated(null);
    setError(undefined);
    setPassword('');
  };
  return (
    <Card withBorder padding={0}>
      <Group justify="space-between" p="md">
        <Text fw={600}>SCRAM users</Text>
        <Button size="xs" leftSection={<IconPlus size={14} />} onClick={() => setMode({ kind: 'create' })}>
          Create user
        </Button>
      </Group>
      <AsyncView state={users} label="Loading users…">
        {({ users: list }) =>
          list.length === 0 ? (
            <Empty title="No SCRAM users">Create one for clients that connect with SASL/SCRAM.</Empty>
          ) : (
            <Table verticalSpacing="xs" horizontalSpacing="md">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>User</Table.Th>
                  <Table.Th>Mechanism</Table.Th>
                  <Table.Th visibleFrom="sm">Created</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.map((u) => (
                  <Table.Tr key={u.username}>
                    <Table.Td fw={600}>{u.username}</Table.Td>
                    <Table.Td>{u.mechanism ?? '—'}</Table.Td>
                    <Table.Td visibleFrom="sm">{formatTime(u.creationTime)}</Table.Td>
                    <Table.Td>
                      <Group gap={4} justify="flex-end" wrap="nowrap">
                        <ActionIcon
                          variant="subtle"
                          onClick={() => setMode({ kind: 'rotate', username: u.username })}
                          aria-label="Rotate password"
                        >
                          <IconKey size={16} />
                        </ActionIcon>
                        <ActionIcon
                          variant="subtle"
                          color="red"
                          onClick={() => setRemoving(u.username)}
                          aria-label="Delete user"
                        >
                          <IconTrash size={16} />
                        </ActionIcon>
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )
        }
      </AsyncView>
      <Modal
        opened={mode !== null}
        onClose={closeModal}
        title={
          <Text fw={600}>
            {created
              ? `Sign in as ${created.username}`
              : mode?.kind === 'rotate'
                ? `New password for ${mode.username}`
                : 'Create SCRAM user'}
          </Text>
        }
        size="lg"
        centered
      >
        {created ? (
          <Stack>
            <SignInAs cluster={cluster} username={created.username} mechanism={created.mechanism} />
            <Group justify="flex-end">
              <Button onClick={closeModal}>Done</Button>
            </Group>
          </Stack>
        ) : (
          <Stack>
            {mode?.kind === 'create' && (
              <>
                <TextInput label="Username" value={username} onChange={(e) => setUsername(e.currentTarget.value)} />
                <Select
                  label="Mechanism"
                  data={['SCRAM-SHA-256', 'SCRAM-SHA-512']}
                  value={mechanism}
                  onChange={setMechanism}
                  allowDeselect={false}
                />
              </>
            )}
            <PasswordInput
              label="Password"
              description="At least 8 characters"
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
              error={password && password.length < 8 ? 'Too short' : undefined}
            />
            {error && <ErrorState error={error} />}
            <Group justify="flex-end">
              <Button
                loading={busy}
                disabled={password.length < 8 || (mode?.kind === 'create' && !username)}
                onClick={async () => {
                  setBusy(true);
                  setError(undefined);
                  try {
                    if (mode?.kind === 'rotate') {
                      await api.rotateUser(clusterArn, mode.username, password);
                      notifications.show({ title: 'Password rotated', message: mode.username, color: 'teal' });
                      closeModal();
                    } else {
                      const chosen = mechanism ?? 'SCRAM-SHA-512';
                      await api.createUser(clusterArn, { username, password, mechanism: chosen });
                      notifications.show({ title: 'User created', message: username, color: 'teal' });
                      setPassword('');
                      setCreated({ username, mechanism: chosen });
                    }
                    users.reload();
                  } catch (e) {
                    setError(e as Error);
                  } finally {
                    setBusy(false);
                  }
                }}
              >
                {mode?.kind === 'rotate' ? 'Rotate' : 'Create'}
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
      <ConfirmModal
        opened={removing !== null}
        onClose={() => setRemoving(null)}
        title={`Delete ${removing}?`}
        confirmLabel="Delete user"
        danger
        onConfirm={async () => {
          if (removing) await api.deleteUser(clusterArn, removing);
          users.reload();
        }}
      >
        <Text size="sm">Clients signed in as {removing} are refused at their next authentication.</Text>
      </ConfirmModal>
    </Card>
  );
}
