/** Sign in with an access key (the admin key `make up` prints, or one in .flotilla/credentials). */
import { Alert, Button, Card, Center, Checkbox, Group, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { IconKey } from '@tabler/icons-react';
import { useState } from 'react';
import { ThemeToggle } from '../App.js';
import { Api, type Credentials } from '../api.js';
import { Logo } from '../components/Logo.js';

export function SignIn({ onSignedIn }: { onSignedIn: (c: Credentials, remember: boolean) => void }) {
  const [accessKeyId, setId] = useState('');
  const [secretAccessKey, setSecret] = useState('');
  const [remember, setRemember] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const credentials = { accessKeyId: accessKeyId.trim(), secretAccessKey: secretAccessKey.trim() };
    try {
      // Any authenticated call proves the key; ListKafkaVersions is the cheapest.
      await new Api(credentials).kafkaVersions();
      onSignedIn(credentials, remember);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Center mih="100vh" p="md" bg="var(--mantine-color-body)">
      <Stack w="100%" maw={420} gap="lg">
        <Group justify="space-between">
          <Logo size={32} />
          <ThemeToggle />
        </Group>
        <Card withBorder shadow="sm" padding="xl" component="form" onSubmit={submit}>
          <Stack>
            <div>
              <Text fw={600} size="lg">
                Sign in
              </Text>
              <Text size="sm" c="dimmed">
                Use an access key of this control plane: the one `make up` printed, or the one in .flotilla/credentials.
              </Text>
            </div>
            <TextInput
              label="Access key ID"
              placeholder="FLO…"
              value={accessKeyId}
              onChange={(e) => setId(e.currentTarget.value)}
              required
              autoComplete="username"
              name="accessKeyId"
              leftSection={<IconKey size={16} />}
            />
            <PasswordInput
              label="Secret access key"
              value={secretAccessKey}
              onChange={(e) => setSecret(e.currentTarget.value)}
              required
              autoComplete="current-password"
              name="secretAccessKey"
            />
            <Checkbox
              label="Remember me on this browser"
              checked={remember}
              onChange={(e) => setRemember(e.currentTarget.checked)}
            />
            {error && (
              <Alert color="red" variant="light" title="Sign-in failed">
                {error} Check both values and try again.
              </Alert>
            )}
            <Button type="submit" loading={busy} fullWidth>
              Sign in
            </Button>
          </Stack>
        </Card>
      </Stack>
    </Center>
  );
}
