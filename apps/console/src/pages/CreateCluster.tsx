/**
 * CreateClusterV2 with MSK's choices: name, Kafka version, zones x brokers per zone, broker type,
 * storage, configuration, client authentication, encryption in transit, monitoring level. Everything
 * the API would refuse is checked before submit (MSK's name pattern, broker count a multiple of the
 * zones and at most 15 per zone, 1-16384 GiB), and the API's own 400 is shown on the field it names.
 */
import {
  Anchor,
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  Input,
  NumberInput,
  Radio,
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
import { Link, useLocation, useSearch } from 'wouter';
import { useApi } from '../App.js';
import { ApiError, enc } from '../api.js';
import { ErrorState, useAsync } from '../components/common.js';
import {
  type ClientBroker,
  inClusterForced,
  type SecurityChoices,
  securityErrors,
  securityRequest,
} from '../security.js';

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
  security: SecurityChoices;
  monitoring: string | null;
}

type FormErrors = Partial<Record<Exclude<keyof Form, 'security'> | 'authentication' | 'clientBroker', string>>;

export function validate(f: Form): FormErrors {
  const errors: FormErrors = { ...securityErrors(f.security) };
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
  return errors;
}

/** Unauthenticated access over TLS and plaintext; `?authentication=scram` (from a cluster's Security tab) preselects SCRAM over TLS. */
function initialSecurity(authentication: string | null): SecurityChoices {
  return authentication === 'scram'
    ? { unauthenticated: false, scram: true, tls: false, clientBroker: 'TLS', inCluster: true }
    : { unauthenticated: true, scram: false, tls: false, clientBroker: 'TLS_PLAINTEXT', inCluster: true };
}

export function CreateClusterPage() {
  const api = useApi();
  const [, navigate] = useLocation();
  const search = useSearch();
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
    security: initialSecurity(new URLSearchParams(search).get('authentication')),
    monitoring: 'DEFAULT',
  });
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [apiError, setApiError] = useState<Error>();
  const active = (versions.data?.kafkaVersions ?? []).filter((v) => v.status === 'ACTIVE').map((v) => v.version);
  if (!form.kafkaVersion && active.length) setForm({ ...form, kafkaVersion: active[active.length - 1] ?? null });
  const errors = validate(form);
  // The API's 400 names the field it refused (invalidParameter): show it there too.
  const fieldOf: Record<string, keyof FormErrors> = {
    clusterName: 'name',
    kafkaVersion: 'kafkaVersion',
    numberOfBrokerNodes: 'brokersPerZone',
    instanceType: 'instanceType',
    configurationInfo: 'configuration',
    clientAuthentication: 'authentication',
    encryptionInfo: 'clientBroker',
  };
  const apiField =
    apiError instanceof ApiError && apiError.invalidParameter ? fieldOf[apiError.invalidParameter] : undefined;
  // Security refusals show at once (they follow from a choice just made); the rest after a first submit.
  const live = new Set<keyof FormErrors>(['authentication', 'clientBroker']);
  const show = (k: keyof FormErrors) =>
    (touched || live.has(k) ? errors[k] : undefined) ?? (apiField === k ? apiError?.message : undefined);
  const set = <K extends keyof Form>(k: K, v: Form[K]) => setForm((f) => ({ ...f, [k]: v }));
  const setSecurity = (change: Partial<SecurityChoices>) =>
    setForm((f) => ({ ...f, security: { ...f.security, ...change } }));
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
          ...securityRequest(form.security),
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
              <Text fw={600}>Configuration and monitoring</Text>
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
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
                <Select
                  label="Monitoring level"
                  description="Which metrics the brokers report (MSK's enhanced monitoring)"
                  data={MONITORING}
                  value={form.monitoring}
                  onChange={(v) => set('monitoring', v)}
                  allowDeselect={false}
                />
              </SimpleGrid>
            </Stack>
          </Card>
          <SecuritySection
            choices={form.security}
            onChange={setSecurity}
            authenticationError={show('authentication')}
            clientBrokerError={show('clientBroker')}
          />
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

/** MSK's "Security settings": access control methods, then encryption in transit. */
function SecuritySection({
  choices: c,
  onChange,
  authenticationError,
  clientBrokerError,
}: {
  choices: SecurityChoices;
  onChange: (change: Partial<SecurityChoices>) => void;
  authenticationError: string | undefined;
  clientBrokerError: string | undefined;
}) {
  const forced = inClusterForced(c);
  return (
    <Card withBorder padding="lg" data-testid="security-section">
      <Stack gap="lg">
        <Text fw={600}>Security</Text>
        <Input.Wrapper
          label="Access control methods"
          description="How clients prove who they are; with SASL/SCRAM or TLS client authentication, ACLs decide what they may do"
          error={authenticationError}
        >
          <Stack gap="sm" mt="xs">
            <Checkbox
              label="Unauthenticated access"
              description="Any client that reaches the brokers, as User:ANONYMOUS"
              checked={c.unauthenticated}
              onChange={(e) => onChange({ unauthenticated: e.currentTarget.checked })}
            />
            <Checkbox
              label={
                <Group gap={6} component="span">
                  IAM role-based authentication
                  <Badge size="xs" variant="outline" color="gray" component="span">
                    Not offered
                  </Badge>
                </Group>
              }
              aria-label="IAM role-based authentication"
              description="Not offered by Flotilla: IAM access control needs AWS IAM. Use SASL/SCRAM or TLS client authentication."
              checked={false}
              disabled
              onChange={() => {}}
            />
            <Checkbox
              label="SASL/SCRAM authentication"
              description="Users and passwords (SCRAM-SHA-512), managed on the cluster's Security tab; over TLS"
              checked={c.scram}
              onChange={(e) => onChange({ scram: e.currentTarget.checked })}
            />
            <Checkbox
              label="TLS client authentication"
              description="Client certificates signed by the cluster's own CA (Flotilla's stand-in for AWS Private CA)"
              checked={c.tls}
              onChange={(e) => onChange({ tls: e.currentTarget.checked })}
            />
          </Stack>
        </Input.Wrapper>
        <Radio.Group
          label="Encryption between clients and brokers"
          value={c.clientBroker}
          onChange={(v) => onChange({ clientBroker: v as ClientBroker })}
          error={clientBrokerError}
        >
          <Stack gap="sm" mt="xs">
            <Radio value="TLS" label="TLS encryption" description="Clients connect over TLS only" />
            <Radio
              value="TLS_PLAINTEXT"
              label="TLS and plaintext"
              description="A TLS listener, and a plaintext one for unauthenticated clients"
            />
            <Radio value="PLAINTEXT" label="Plaintext" description="No encryption (unauthenticated access only)" />
          </Stack>
        </Radio.Group>
        <Checkbox
          label="TLS encryption within the cluster"
          description={
            forced
              ? 'Always on with SASL/SCRAM or TLS client authentication: brokers authenticate one another with certificates'
              : 'Brokers replicate to one another over TLS'
          }
          checked={c.inCluster || forced}
          disabled={forced}
          onChange={(e) => onChange({ inCluster: e.currentTarget.checked })}
        />
      </Stack>
    </Card>
  );
}
