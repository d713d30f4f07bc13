/**
 * Day-2 operations (issue 7) from one menu, each behind a confirmation. currentVersion is handled
 * for the user: it is read again just before the call, so a change made meanwhile elsewhere does not
 * turn into a stale-version error; if one still races in, the API's message says so and Retry works.
 */
import { Button, Checkbox, Menu, NumberInput, Select, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconChevronDown } from '@tabler/icons-react';
import { useState } from 'react';
import { useLocation } from 'wouter';
import { useApi } from '../App.js';
import type { ClusterV2 } from '../api.js';
import { ConfirmModal, useAsync } from '../components/common.js';
import { type ClientBroker, securityChoicesOf, securityErrors, securityUpdateRequest } from '../security.js';
import { BROKER_TYPES } from './CreateCluster.js';

type Action =
  | 'count'
  | 'storage'
  | 'type'
  | 'version'
  | 'configuration'
  | 'monitoring'
  | 'security'
  | 'reboot'
  | 'delete'
  | null;

export function ClusterActions({ cluster: c, onChanged }: { cluster: ClusterV2; onChanged: () => void }) {
  const api = useApi();
  const [, navigate] = useLocation();
  const [action, setAction] = useState<Action>(null);
  const p = c.provisioned;
  const [count, setCount] = useState<number | string>(p?.numberOfBrokerNodes ?? 3);
  const [storage, setStorage] = useState<number | string>(
    p?.brokerNodeGroupInfo.storageInfo?.ebsStorageInfo?.volumeSize ?? 100,
  );
  const [type, setType] = useState<string | null>(p?.brokerNodeGroupInfo.instanceType ?? null);
  const [version, setVersion] = useState<string | null>(null);
  const [configuration, setConfiguration] = useState<string | null>(null);
  const [monitoring, setMonitoring] = useState<string | null>(p?.enhancedMonitoring ?? 'DEFAULT');
  const [security, setSecurity] = useState(() => securityChoicesOf(p?.clientAuthentication, p?.encryptionInfo));
  const securityProblems = securityErrors(security);
  const [broker, setBroker] = useState<string>('1');
  const [confirmName, setConfirmName] = useState('');
  const compatible = useAsync(
    () => (action === 'version' ? api.compatibleVersions(c.clusterArn) : Promise.resolve(null)),
    [action, c.clusterArn],
  );
  const configs = useAsync(
    () => (action === 'configuration' ? api.listConfigurations() : Promise.resolve(null)),
    [action],
  );
  const active = c.state === 'ACTIVE';
  const fresh = async () => (await api.describeCluster(c.clusterArn)).clusterInfo.currentVersion;
  const done = (what: string) => {
    notifications.show({ title: what, message: 'Follow it in the Operations tab.', color: 'teal' });
    onChanged();
  };
  const close = () => setAction(null);

  return (
    <>
      <Menu position="bottom-end" withinPortal>
        <Menu.Target>
          <Button variant="default" rightSection={<IconChevronDown size={14} />}>
            Actions
          </Button>
        </Menu.Target>
        <Menu.Dropdown>
          <Menu.Label>{active ? 'Change the cluster' : `Changes need an ACTIVE cluster (now ${c.state})`}</Menu.Label>
          <Menu.Item disabled={!active} onClick={() => setAction('count')}>
            Edit broker count
          </Menu.Item>
          <Menu.Item disabled={!active} onClick={() => setAction('storage')}>
            Edit storage
          </Menu.Item>
          <Menu.Item disabled={!active} onClick={() => setAction('type')}>
            Edit broker type
          </Menu.Item>
          <Menu.Item disabled={!active} onClick={() => setAction('configuration')}>
            Apply a configuration
          </Menu.Item>
          <Menu.Item disabled={!active} onClick={() => setAction('version')}>
            Upgrade Kafka version
          </Menu.Item>
          <Menu.Item disabled={!active} onClick={() => setAction('monitoring')}>
            Edit monitoring level
          </Menu.Item>
          <Menu.Item
            disabled={!active}
            onClick={() => {
              setSecurity(securityChoicesOf(p?.clientAuthentication, p?.encryptionInfo));
              setAction('security');
            }}
          >
            Edit security
          </Menu.Item>
          <Menu.Item disabled={!active} onClick={() => setAction('reboot')}>
            Reboot a broker
          </Menu.Item>
          <Menu.Divider />
          <Menu.Item color="red" disabled={c.state === 'DELETING'} onClick={() => setAction('delete')}>
            Delete cluster
          </Menu.Item>
        </Menu.Dropdown>
      </Menu>

      <ConfirmModal
        opened={action === 'count'}
        onClose={close}
        title="Edit broker count"
        confirmLabel="Update broker count"
        onConfirm={async () => {
          await api.updateBrokerCount(c.clusterArn, await fresh(), Number(count));
          done('Broker count update started');
        }}
      >
        <Text size="sm">
          Scaling out adds brokers and moves partitions onto them; scaling in drains brokers first. Clients keep
          working. The count must stay a multiple of the zones ({p?.brokerNodeGroupInfo.clientSubnets?.length ?? 1}).
        </Text>
        <NumberInput label="Brokers" min={1} max={45} value={count} onChange={setCount} />
      </ConfirmModal>

      <ConfirmModal
        opened={action === 'storage'}
        onClose={close}
        title="Edit storage"
        confirmLabel="Update storage"
        onConfirm={async () => {
          await api.updateBrokerStorage(c.clusterArn, await fresh(), Number(storage));
          done('Storage update started');
        }}
      >
        <Text size="sm">Storage can only grow. Every broker gets the new size.</Text>
        <NumberInput label="GiB per broker" min={1} max={16384} value={storage} onChange={setStorage} />
      </ConfirmModal>

      <ConfirmModal
        opened={action === 'type'}
        onClose={close}
        title="Edit broker type"
        confirmLabel="Change broker type"
        onConfirm={async () => {
          if (!type) throw new Error('Pick a broker type');
          await api.updateBrokerType(c.clusterArn, await fresh(), type);
          done('Broker type change started');
        }}
      >
        <Text size="sm">Brokers restart one at a time with the new CPU and memory limits, the controller last.</Text>
        <Select label="Broker type" data={BROKER_TYPES} value={type} onChange={setType} allowDeselect={false} />
      </ConfirmModal>

      <ConfirmModal
        opened={action === 'version'}
        onClose={close}
        title="Upgrade Kafka version"
        confirmLabel="Start rolling upgrade"
        onConfirm={async () => {
          if (!version) throw new Error('Pick a target version');
          await api.updateKafkaVersion(c.clusterArn, await fresh(), version);
          done('Rolling upgrade started');
        }}
      >
        <Text size="sm">
          A rolling upgrade from {p?.currentBrokerSoftwareInfo?.kafkaVersion}: one broker at a time, waiting for every
          partition to be fully replicated before the next.
        </Text>
        <Select
          label="Target version"
          data={compatible.data?.compatibleKafkaVersions.flatMap((v) => v.targetVersions) ?? []}
          placeholder={compatible.error ? compatible.error.message : compatible.loading ? 'Loading…' : 'Pick a version'}
          value={version}
          onChange={setVersion}
        />
      </ConfirmModal>

      <ConfirmModal
        opened={action === 'configuration'}
        onClose={close}
        title="Apply a configuration"
        confirmLabel="Apply"
        onConfirm={async () => {
          const cfg = configs.data?.configurations.find((x) => x.arn === configuration);
          if (!cfg) throw new Error('Pick a configuration');
          await api.updateConfiguration(c.clusterArn, await fresh(), {
            arn: cfg.arn,
            revision: cfg.latestRevision.revision,
          });
          done('Configuration update started');
        }}
      >
        <Text size="sm">Dynamic settings apply live; the others with a safe rolling restart.</Text>
        <Select
          label="Configuration (latest revision)"
          data={(configs.data?.configurations ?? []).map((x) => ({
            value: x.arn,
            label: `${x.name} (revision ${x.latestRevision.revision})`,
          }))}
          placeholder={configs.error ? configs.error.message : 'Pick a configuration'}
          value={configuration}
          onChange={setConfiguration}
        />
      </ConfirmModal>

      <ConfirmModal
        opened={action === 'monitoring'}
        onClose={close}
        title="Edit monitoring level"
        confirmLabel="Update monitoring"
        onConfirm={async () => {
          if (!monitoring) throw new Error('Pick a level');
          await api.updateMonitoring(c.clusterArn, await fresh(), monitoring);
          done('Monitoring update started');
        }}
      >
        <Select
          label="Level"
          data={['DEFAULT', 'PER_BROKER', 'PER_TOPIC_PER_BROKER', 'PER_TOPIC_PER_PARTITION']}
          value={monitoring}
          onChange={setMonitoring}
          allowDeselect={false}
        />
      </ConfirmModal>

      <ConfirmModal
        opened={action === 'security'}
        onClose={close}
        title="Edit security"
        confirmLabel="Update security"
        onConfirm={async () => {
          const problem = securityProblems.authentication ?? securityProblems.clientBroker;
          if (problem) throw new Error(problem);
          await api.updateSecurity(c.clusterArn, await fresh(), securityUpdateRequest(security));
          done('Security update started');
        }}
      >
        <Text size="sm">
          Brokers restart one at a time, the controller last, as often as the change needs (up to three rolls when TLS
          between brokers is turned on); clients keep working on the listeners that stay. The CA, the new bootstrap
          strings and SCRAM users are ready when the operation completes.
        </Text>
        <Stack gap={6}>
          <Checkbox
            label="Unauthenticated access"
            checked={security.unauthenticated}
            onChange={(e) => setSecurity({ ...security, unauthenticated: e.currentTarget.checked })}
          />
          <Checkbox
            label="SASL/SCRAM authentication"
            checked={security.scram}
            onChange={(e) => setSecurity({ ...security, scram: e.currentTarget.checked })}
          />
          <Checkbox
            label="TLS client authentication (certificates from the cluster CA)"
            checked={security.tls}
            onChange={(e) => setSecurity({ ...security, tls: e.currentTarget.checked })}
          />
          {securityProblems.authentication && (
            <Text size="xs" c="red">
              {securityProblems.authentication}
            </Text>
          )}
        </Stack>
        <Select
          label="Encryption between clients and brokers"
          data={[
            { value: 'TLS', label: 'TLS' },
            { value: 'TLS_PLAINTEXT', label: 'TLS and plaintext' },
            { value: 'PLAINTEXT', label: 'Plaintext' },
          ]}
          value={security.clientBroker}
          onChange={(v) => setSecurity({ ...security, clientBroker: (v ?? 'TLS') as ClientBroker })}
          allowDeselect={false}
          error={securityProblems.clientBroker}
        />
      </ConfirmModal>

      <ConfirmModal
        opened={action === 'reboot'}
        onClose={close}
        title="Reboot a broker"
        confirmLabel="Reboot"
        onConfirm={async () => {
          await api.rebootBroker(c.clusterArn, [broker]);
          done(`Reboot of broker ${broker} started`);
        }}
      >
        <Text size="sm">Leaders move away first (controlled shutdown); clients reconnect to the other brokers.</Text>
        <Select
          label="Broker"
          data={Array.from({ length: p?.numberOfBrokerNodes ?? 1 }, (_, i) => String(i + 1))}
          value={broker}
          onChange={(v) => setBroker(v ?? '1')}
          allowDeselect={false}
        />
      </ConfirmModal>

      <ConfirmModal
        opened={action === 'delete'}
        onClose={close}
        title={`Delete ${c.clusterName}?`}
        confirmLabel="Delete cluster"
        danger
        onConfirm={async () => {
          if (confirmName !== c.clusterName) throw new Error(`Type ${c.clusterName} to confirm`);
          await api.deleteCluster(c.clusterArn, await fresh());
          notifications.show({ title: 'Deleting', message: `${c.clusterName} is being deleted`, color: 'orange' });
          navigate('/');
        }}
      >
        <Stack gap="xs">
          <Text size="sm">Every broker, its data and its volume are removed. This cannot be undone.</Text>
          <TextInput
            label={`Type ${c.clusterName} to confirm`}
            value={confirmName}
            onChange={(e) => setConfirmName(e.currentTarget.value)}
          />
        </Stack>
      </ConfirmModal>
    </>
  );
}
