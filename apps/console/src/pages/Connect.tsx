/**
 * How clients connect to a cluster: GetBootstrapBrokers' string for every listener the cluster has
 * (Plaintext, TLS, SASL/SCRAM), each with the client settings it needs (a Java client's properties and
 * kcat's -X flags), the cluster CA for TLS (`GET .../certificate-authority`) and, with TLS client
 * authentication, client certificates (`POST .../client-certificates`: the key is returned once).
 */
import {
  Alert,
  Badge,
  Button,
  Card,
  Divider,
  Group,
  Modal,
  NumberInput,
  SegmentedControl,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconCertificate, IconDownload } from '@tabler/icons-react';
import { useState } from 'react';
import { useApi } from '../App.js';
import type { BootstrapBrokers, ClientCertificate, ClusterV2 } from '../api.js';
import { AsyncView, CopyField, downloadText, ErrorState, formatTime, useAsync } from '../components/common.js';
import { BOOTSTRAP_MODES, type BootstrapMode, caFileName, clientSettings, clusterAuthentication } from '../security.js';

function describeMode(mode: BootstrapMode, mutualTls: boolean): string {
  if (mode.protocol === 'PLAINTEXT') return 'Unencrypted and unauthenticated: clients are User:ANONYMOUS.';
  if (mode.protocol === 'SSL') {
    return mutualTls
      ? "Encrypted; clients present a certificate signed by the cluster's CA and are User:<common name>."
      : 'Encrypted; clients are not authenticated (User:ANONYMOUS).';
  }
  return 'Encrypted; clients sign in as a SCRAM user from the Security tab (User:<username>).';
}

/** A listener's client settings, Java properties or kcat, with a copy button. */
export function ClientSettings({
  mode,
  servers,
  clusterName,
  mutualTls,
  username,
  mechanism,
}: {
  mode: BootstrapMode;
  servers: string;
  clusterName: string;
  mutualTls?: boolean;
  username?: string;
  mechanism?: string;
}) {
  const [view, setView] = useState<'properties' | 'kcat'>('properties');
  const settings = clientSettings(mode, servers, { caFile: caFileName(clusterName), mutualTls, username, mechanism });
  return (
    <Stack gap={6}>
      <SegmentedControl
        size="xs"
        w="fit-content"
        value={view}
        onChange={(v) => setView(v as 'properties' | 'kcat')}
        data={[
          { value: 'properties', label: 'client.properties' },
          { value: 'kcat', label: 'kcat' },
        ]}
      />
      <CopyField
        name={`${mode.label} ${view === 'kcat' ? 'kcat command' : 'client properties'}`}
        value={view === 'kcat' ? settings.kcat : settings.properties}
        testId={`settings-${mode.label}`}
      />
    </Stack>
  );
}

/** "Download CA certificate": the PEM clients verify the brokers' TLS listeners with. */
export function DownloadCaButton({ cluster }: { cluster: ClusterV2 }) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  return (
    <Button
      size="xs"
      variant="light"
      leftSection={<IconDownload size={14} />}
      loading={busy}
      onClick={async () => {
        setBusy(true);
        try {
          const { certificateAuthority } = await api.certificateAuthority(cluster.clusterArn);
          downloadText(caFileName(cluster.clusterName), certificateAuthority);
        } catch (e) {
          notifications.show({ title: 'Could not download the CA', message: (e as Error).message, color: 'red' });
        } finally {
          setBusy(false);
        }
      }}
    >
      Download CA certificate
    </Button>
  );
}

export function BootstrapPanel({ cluster: c, ready }: { cluster: ClusterV2; ready: boolean }) {
  const api = useApi();
  const bootstrap = useAsync(
    () => (ready ? api.bootstrapBrokers(c.clusterArn) : Promise.resolve(null)),
    [c.clusterArn, ready, c.currentVersion],
  );
  const { mutualTls } = clusterAuthentication(c.provisioned?.clientAuthentication);
  const [issuing, setIssuing] = useState(false);
  const modes = (b: BootstrapBrokers | null) => BOOTSTRAP_MODES.filter((m) => b?.[m.key]);
  const tls = modes(bootstrap.data ?? null).some((m) => m.protocol !== 'PLAINTEXT');
  return (
    <Card withBorder padding="lg" data-testid="bootstrap-panel">
      <Group justify="space-between" mb="sm" gap="xs">
        <Text fw={600}>Bootstrap servers</Text>
        {ready && (tls || mutualTls) && (
          <Group gap="xs">
            {tls && <DownloadCaButton cluster={c} />}
            {mutualTls && (
              <Button
                size="xs"
                variant="light"
                leftSection={<IconCertificate size={14} />}
                onClick={() => setIssuing(true)}
              >
                Issue client certificate
              </Button>
            )}
          </Group>
        )}
      </Group>
      {!ready ? (
        <Text size="sm" c="dimmed">
          {c.state === 'FAILED'
            ? 'The cluster failed before it had brokers.'
            : 'Available once the brokers are up; this page updates by itself.'}
        </Text>
      ) : (
        <AsyncView state={bootstrap} label="Loading bootstrap servers…">
          {(b) =>
            modes(b).length === 0 ? (
              <Text size="sm" c="dimmed">
                No bootstrap servers reported yet.
              </Text>
            ) : (
              <Stack gap="md">
                {modes(b).map((mode, i) => (
                  <Stack key={mode.key} gap={8}>
                    {i > 0 && <Divider mb={8} />}
                    <Group gap="xs">
                      <Text fw={600} size="sm">
                        {mode.label}
                      </Text>
                      <Badge variant="light" color={mode.protocol === 'PLAINTEXT' ? 'gray' : 'teal'} size="sm">
                        {mode.protocol}
                      </Badge>
                    </Group>
                    <Text size="xs" c="dimmed">
                      {describeMode(mode, mutualTls)}
                    </Text>
                    <CopyField
                      name={`${mode.label} bootstrap servers`}
                      value={b?.[mode.key] as string}
                      testId={`bootstrap-${mode.label}`}
                    />
                    <ClientSettings
                      mode={mode}
                      servers={b?.[mode.key] as string}
                      clusterName={c.clusterName}
                      mutualTls={mutualTls}
                    />
                  </Stack>
                ))}
              </Stack>
            )
          }
        </AsyncView>
      )}
      <ClientCertificateModal cluster={c} opened={issuing} onClose={() => setIssuing(false)} />
    </Card>
  );
}

const COMMON_NAME = /^[A-Za-z0-9._@-]{1,64}$/;

/** Issues a client certificate for mutual TLS; the key is downloadable only while the modal is open. */
function ClientCertificateModal({
  cluster,
  opened,
  onClose,
}: {
  cluster: ClusterV2;
  opened: boolean;
  onClose: () => void;
}) {
  const api = useApi();
  const [commonName, setCommonName] = useState('');
  const [validityDays, setValidityDays] = useState<number | string>(365);
  const [issued, setIssued] = useState<ClientCertificate>();
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const nameError = !commonName
    ? undefined
    : !COMMON_NAME.test(commonName)
      ? '1-64 letters, digits and . _ @ -'
      : commonName.startsWith('flotilla-')
        ? 'Names starting with flotilla- are reserved'
        : undefined;
  const days = Number(validityDays);
  const daysOk = Number.isInteger(days) && days >= 1 && days <= 3650;
  const close = () => {
    setIssued(undefined);
    setError(undefined);
    setCommonName('');
    onClose();
  };
  return (
    <Modal opened={opened} onClose={close} title={<Text fw={600}>Issue client certificate</Text>} centered>
      {issued ? (
        <Stack>
          <Text size="sm">
            Clients with this certificate connect to the TLS bootstrap servers as <b>{issued.principal}</b>, which ACLs
            name. It is valid until {formatTime(issued.notAfter)}.
          </Text>
          <Alert color="yellow" variant="light" title="Download the key now">
            Flotilla does not keep the private key: it cannot be shown again.
          </Alert>
          <Group gap="xs">
            <Button
              size="xs"
              variant="light"
              leftSection={<IconDownload size={14} />}
              onClick={() => downloadText(`${issued.commonName}.crt`, issued.certificate)}
            >
              Certificate
            </Button>
            <Button
              size="xs"
              variant="light"
              leftSection={<IconDownload size={14} />}
              onClick={() => downloadText(`${issued.commonName}.key`, issued.privateKey)}
            >
              Private key
            </Button>
            <Button
              size="xs"
              variant="light"
              leftSection={<IconDownload size={14} />}
              onClick={() =>
                downloadText(`${issued.commonName}.key-and-crt.pem`, `${issued.privateKey}${issued.certificate}`)
              }
            >
              Both, for Java (PEM keystore)
            </Button>
          </Group>
          <Group justify="flex-end">
            <Button onClick={close}>Done</Button>
          </Group>
        </Stack>
      ) : (
        <Stack>
          <TextInput
            label="Common name"
            description="The client's principal is User:<common name>"
            placeholder="billing-service"
            value={commonName}
            onChange={(e) => setCommonName(e.currentTarget.value)}
            error={nameError}
          />
          <NumberInput
            label="Valid for (days)"
            min={1}
            max={3650}
            value={validityDays}
            onChange={setValidityDays}
            error={daysOk ? undefined : '1 to 3650 days'}
          />
          {error && <ErrorState error={error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button
              loading={busy}
              disabled={!commonName || nameError !== undefined || !daysOk}
              onClick={async () => {
                setBusy(true);
                setError(undefined);
                try {
                  setIssued(await api.createClientCertificate(cluster.clusterArn, { commonName, validityDays: days }));
                } catch (e) {
                  setError(e as Error);
                } finally {
                  setBusy(false);
                }
              }}
            >
              Issue
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
