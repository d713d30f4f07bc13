/**
 * CreateClusterV2 with MSK's choices: name, Kafka version, zones x brokers per zone, broker type,
 * storage, configuration, client authentication, encryption in transit, monitoring level. Everything
 * the API would refuse is checked before submit (MSK's name pattern, broker count a multiple of the
 * zones and at most 15 per zone, 1-16384 GiB), and the API's own 400 is shown on the field it names.
 */
import {
  Anchor,
  Button,
  Card,
  Checkbox,
  Group,
  NumberInput,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { Link, useLocation } from 'wouter';
import { useApi } from '../App.js';
import { ApiError, enc } from '../api.js';
import { ErrorState, useAsync } from '../components/common.js';

/** MSK's broker sizes (packages/runtime's BROKER_TYPES maps them to CPU and memory limits). */
export const BROKER_TYPES = [
  'kafka.t3.small',
  'kafka.m5.large',
  'kafka.m5.xlarge',
  'kafka.m5.2xlarge',
  'kafka.m5.4xlarge',
  'kafka.m7g.large',
  'kafka.m7g.xlarge',
  'kafka.m7g.2xlarge',
];
const MONITORING = ['DEFAULT', 'PER_BROKER', 'PER_TOPIC_PER_BROKER', 'PER_TOPIC_PER_PARTITION'];
const NAME = /^[0-9A-Za-z][0-9A-Za-z-]{0,63}$/;
const MAX_PER_ZONE = 15;

interface Form {
  name: string;
  kafkaVersion: string | null;
  zones: string;
  brokersPerZone: number | string;
  instanceType: string | null;
  volumeSize: number | string;
  configuration: string | null;
  unauthenticated: boolean;
  scram: boolean;
  tls: boolean;
  inTransit: string;
  monitoring: string | null;
}

export function validate(f: Form): Partial<Record<keyof Form, string>> {
  const errors: Partial<Record<keyof Form, string>> = {};
  if (!NAME.test(f.name)) {
    errors.name = '1-64 letters, digits and hyphens, starting with a letter or digit';
  }
  if (!f.kafkaVersion) errors.kafkaVersion = 'Pick a version';
  const perZone = Number(f.brokersPerZone);
  if (!Number.isInteger(perZone) || perZone < 1 || perZone > MAX_PER_ZONE) {
    errors.brokersPerZone = `1 to ${MAX_PER_ZONE} brokers per zone`;
  }
  if (!f.instanceType) errors.instanceType = 'Pick a broker type';
  const size = Number(f.volumeSize);
  if (!Number.isInteger(size) || size < 1 || size > 16384) errors.volumeSize = '1 to 16384 GiB per broker';
  if (!f.unauthenticated && !f.scram && !f.tls)
    errors.unauthenticated = 'Allow at least one way for clients to connect';
  return errors;
}

export function CreateClusterPage() {
  const api = useApi();
  const [, navigate] = useLocation();
  const versions = useAsync(() => api.kafkaVersions(), []);
  const configs = useAsync(() => api.listConfigurations(), []);
  const [form, setForm] = useState<Form>({
    name: '',
    kafkaVersion: null,
    zones: '3',
    brokersPerZone: 1,
    instanceType: 'kafka.t3.small',
    volumeSize: 100,
    configuration: null,
    unauthenticated: true,
    scram: false,
    tls: false,
    inTransit: 'TLS_PLAINTEXT',
    monitoring: 'DEFAULT',
  });
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [apiError, setApiError] = useState<Error>();
  const active = (versions.data?.kafkaVersions ?? []).filter((v) => v.status === 'ACTIVE').map((v) => v.version);
  if (!form.kafkaVersion && active.length) setForm({ ...form, kafkaVersion: active[active.length - 1] ?? null });
  const errors = validate(form);
  // The API's 400 names the field it refused (invalidParameter): show it there too.
  const fieldOf: Record<string, keyof Form> = {
    clusterName: 'name',
    kafkaVersion: 'kafkaVersion',
    numberOfBrokerNodes: 'brokersPerZone',
    instanceType: 'instanceType',
    configurationInfo: 'configuration',
  };
  const apiField =
    apiError instanceof ApiError && apiError.invalidParameter ? fieldOf[apiError.invalidParameter] : undefined;
  const show = (k: keyof Form) => (touched ? errors[k] : undefined) ?? (apiField === k ? apiError?.message : undefined);
  const set = <K extends keyof Form>(k: K, v: Form[K]) => setForm((f) => ({ ...f, [k]: v }));
  const zones = Number(form.zones);
  const total = zones * (Number(form.brokersPerZone) || 0);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (Object.keys(errors).length) return;
    setBusy(true);
    setApiError(undefined);
    const configuration = configs.data?.configurations.find((c) => c.arn === form.configuration);
    try {
      const created = await api.createCluster({
        clusterName: form.name,
        provisioned: {
          kafkaVersion: form.kafkaVersion,
          numberOfBrokerNodes: total,
          brokerNodeGroupInfo: {
            instanceType: form.instanceType,
            clientSubnets: Array.from({ length: zones }, (_, i) => `subnet-${String.fromCharCode(97 + i)}`),
            storageInfo: { ebsStorageInfo: { volumeSize: Number(form.volumeSize) } },
          },
          ...(configuration
            ? { configurationInfo: { arn: configuration.arn, revision: configuration.latestRevision.revision } }
            : {}),
          clientAuthentication: {
            unauthenticated: { enabled: form.unauthenticated },
            sasl: { scram: { enabled: form.scram }, iam: { enabled: false } },
            ...(form.tls ? { tls: { enabled: true, certificateAuthorityArnList: [] } } : {}),
          },
          encryptionInfo: {
            encryptionInTransit: { clientBroker: form.inTransit, inCluster: form.inTransit !== 'PLAINTEXT' },
          },
          enhancedMonitoring: form.monitoring,
        },
      });
      notifications.show({
        title: 'Cluster requested',
        message: `${created.clusterName} is ${created.state}`,
        color: 'teal',
      });
      navigate(`/clusters/${enc(created.clusterArn)}`);
    } catch (err) {
      setApiError(err as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Stack maw={880}>
      <div>
        <Anchor component={Link} href="/" size="sm">
          ← Clusters
        </Anchor>
        <Title order={2}>Create cluster</Title>
        <Text c="dimmed" size="sm">
          MSK's CreateClusterV2, on your own hosts.
        </Text>
      </div>
      <form onSubmit={submit} noValidate>
        <Stack>
          <Card withBorder padding="lg">
            <Stack>
              <Text fw={600}>General</Text>
              <TextInput
                label="Cluster name"
                description="Letters, digits and hyphens"
                placeholder="orders"
                value={form.name}
                onChange={(e) => set('name', e.currentTarget.value)}
                error={show('name')}
                name="clusterName"
                required
              />
              <Select
                label="Kafka version"
                data={active}
                value={form.kafkaVersion}
                onChange={(v) => set('kafkaVersion', v)}
                error={show('kafkaVersion') ?? (versions.error ? versions.error.message : undefined)}
                placeholder={versions.loading ? 'Loading versions…' : 'Pick a version'}
                allowDeselect={false}
                name="kafkaVersion"
              />
            </Stack>
          </Card>
          <Card withBorder padding="lg">
            <Stack>
              <Text fw={600}>Brokers</Text>
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <Stack gap={4}>
                  <Text size="sm" fw={500}>
                    Zones
                  </Text>
                  <SegmentedControl data={['1', '2', '3']} value={form.zones} onChange={(v) => set('zones', v)} />
                  <Text size="xs" c="dimmed">
                    Brokers are spread evenly over the zones (MSK's client subnets)
                  </Text>
                </Stack>
                <NumberInput
                  label="Brokers per zone"
                  min={1}
                  max={MAX_PER_ZONE}
                  value={form.brokersPerZone}
                  onChange={(v) => set('brokersPerZone', v)}
                  error={show('brokersPerZone')}
                  description={`${total || '?'} broker${total === 1 ? '' : 's'} in total`}
                  name="brokersPerZone"
                />
                <Select
                  label="Broker type"
                  data={BROKER_TYPES}
                  value={form.instanceType}
                  onChange={(v) => set('instanceType', v)}
                  error={show('instanceType')}
                  allowDeselect={false}
                  name="instanceType"
                />
                <NumberInput
                  label="Storage per broker (GiB)"
                  min={1}
                  max={16384}
                  value={form.volumeSize}
                  onChange={(v) => set('volumeSize', v)}
                  error={show('volumeSize')}
                  name="volumeSize"
                />
              </SimpleGrid>
            </Stack>
          </Card>
          <Card withBorder padding="lg">
            <Stack>
              <Text fw={600}>Configuration and security</Text>
              <Select
                label="Configuration"
                description="An MSK configuration (server.properties); none means the brokers' defaults"
                data={(configs.data?.configurations ?? []).map((c) => ({
                  value: c.arn,
                  label: `${c.name} (revision ${c.latestRevision.revision})`,
                }))}
                value={form.configuration}
                onChange={(v) => set('configuration', v)}
                placeholder={configs.error ? 'Configurations could not be loaded' : 'Broker defaults'}
                error={show('configuration')}
                clearable
              />
              <Stack gap={6}>
                <Text size="sm" fw={500}>
                  Client authentication
                </Text>
                <Group>
                  <Checkbox
                    label="Unauthenticated"
                    checked={form.unauthenticated}
                    onChange={(e) => set('unauthenticated', e.currentTarget.checked)}
                  />
                  <Checkbox
                    label="SASL/SCRAM"
                    checked={form.scram}
                    onChange={(e) => set('scram', e.currentTarget.checked)}
                  />
                  <Checkbox
                    label="TLS client certificates"
                    checked={form.tls}
                    onChange={(e) => set('tls', e.currentTarget.checked)}
                  />
                </Group>
                {show('unauthenticated') && (
                  <Text size="xs" c="red">
                    {show('unauthenticated')}
                  </Text>
                )}
              </Stack>
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <Select
                  label="Encryption between clients and brokers"
                  data={[
                    { value: 'TLS', label: 'TLS only' },
                    { value: 'TLS_PLAINTEXT', label: 'TLS and plaintext' },
                    { value: 'PLAINTEXT', label: 'Plaintext only' },
                  ]}
                  value={form.inTransit}
                  onChange={(v) => set('inTransit', v ?? 'TLS_PLAINTEXT')}
                  allowDeselect={false}
                />
                <Select
                  label="Monitoring level"
                  data={MONITORING}
                  value={form.monitoring}
                  onChange={(v) => set('monitoring', v)}
                  allowDeselect={false}
                />
              </SimpleGrid>
            </Stack>
          </Card>
          {apiError && <ErrorState error={apiError} title="The API refused the cluster" />}
          <Group justify="flex-end">
            <Button variant="default" component={Link} href="/">
              Cancel
            </Button>
            <Button type="submit" loading={busy} disabled={touched && Object.keys(errors).length > 0}>
              Create cluster
            </Button>
          </Group>
        </Stack>
      </form>
    </Stack>
  );
}
