/**
 * The shell: sign-in gate, header (navigation, theme switch, sign out) and the routes. Paths are real
 * URLs (the API answers index.html for them, apps/api/src/plugins/console.ts), so a cluster page can
 * be bookmarked and shared.
 */
import {
  ActionIcon,
  AppShell,
  Burger,
  Group,
  NavLink,
  Text,
  Tooltip,
  UnstyledButton,
  useComputedColorScheme,
  useMantineColorScheme,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconLogout, IconMoon, IconServer2, IconSettings, IconSun } from '@tabler/icons-react';
import { createContext, useContext, useMemo, useState } from 'react';
import { Link, Route, Switch, useLocation } from 'wouter';
import { Api, type Credentials, loadCredentials, saveCredentials } from './api.js';
import { Logo } from './components/Logo.js';
import { ClusterPage } from './pages/Cluster.js';
import { ClustersPage } from './pages/Clusters.js';
import { ConfigurationsPage } from './pages/Configurations.js';
import { CreateClusterPage } from './pages/CreateCluster.js';
import { SignIn } from './pages/SignIn.js';
import { TopicPage } from './pages/Topic.js';

const ApiContext = createContext<Api | null>(null);

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside the signed-in shell');
  return api;
}

export function ThemeToggle() {
  const { setColorScheme } = useMantineColorScheme();
  const scheme = useComputedColorScheme('light');
  const next = scheme === 'dark' ? 'light' : 'dark';
  return (
    <Tooltip label={`Switch to ${next} theme`}>
      <ActionIcon
        variant="default"
        size="lg"
        onClick={() => setColorScheme(next)}
        aria-label={`Switch to ${next} theme`}
      >
        {scheme === 'dark' ? <IconSun size={18} /> : <IconMoon size={18} />}
      </ActionIcon>
    </Tooltip>
  );
}

export function App() {
  const [credentials, setCredentials] = useState<Credentials | null>(loadCredentials);
  const [opened, { toggle, close }] = useDisclosure();
  const [location] = useLocation();
  const signOut = () => {
    saveCredentials(null);
    setCredentials(null);
  };
  // A 403 on the probe call means the stored key was revoked: back to the sign-in page.
  const api = useMemo(() => (credentials ? new Api(credentials, () => setCredentials(null)) : null), [credentials]);

  if (!api || !credentials) {
    return (
      <SignIn
        onSignedIn={(c, remember) => {
          saveCredentials(c, remember);
          setCredentials(c);
        }}
      />
    );
  }
  const nav = [
    {
      href: '/',
      label: 'Clusters',
      icon: IconServer2,
      active: location === '/' || location.startsWith('/clusters') || location === '/create',
    },
    {
      href: '/configurations',
      label: 'Configurations',
      icon: IconSettings,
      active: location.startsWith('/configurations'),
    },
  ];
  return (
    <ApiContext.Provider value={api}>
      <AppShell
        header={{ height: 56 }}
        navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }}
        padding="md"
      >
        <AppShell.Header>
          <Group h="100%" px="md" justify="space-between" wrap="nowrap">
            <Group gap="sm" wrap="nowrap">
              <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
              <UnstyledButton component={Link} href="/" onClick={close}>
                <Logo />
              </UnstyledButton>
            </Group>
            <Group gap="xs" wrap="nowrap">
              <Text size="xs" c="dimmed" visibleFrom="sm" className="mono" data-testid="signed-in-as">
                {credentials.accessKeyId}
              </Text>
              <ThemeToggle />
              <Tooltip label="Sign out">
                <ActionIcon variant="default" size="lg" onClick={signOut} aria-label="Sign out">
                  <IconLogout size={18} />
                </ActionIcon>
              </Tooltip>
            </Group>
          </Group>
        </AppShell.Header>
        <AppShell.Navbar p="xs">
          {nav.map((n) => (
            <NavLink
              key={n.href}
              component={Link}
              href={n.href}
              label={n.label}
              active={n.active}
              leftSection={<n.icon size={18} stroke={1.6} />}
              onClick={close}
              style={{ borderRadius: 'var(--mantine-radius-md)' }}
            />
          ))}
        </AppShell.Navbar>
        <AppShell.Main>
          <Switch>
            <Route path="/" component={ClustersPage} />
            <Route path="/create" component={CreateClusterPage} />
            <Route path="/configurations" component={ConfigurationsPage} />
            <Route path="/clusters/:arn/topics/:topic">
              {(p) => <TopicPage clusterArn={decodeURIComponent(p.arn)} topic={decodeURIComponent(p.topic)} />}
            </Route>
            <Route path="/clusters/:arn/:tab?">
              {(p) => <ClusterPage clusterArn={decodeURIComponent(p.arn)} tab={p.tab ?? 'overview'} />}
            </Route>
            <Route>
              <Text>
                Nothing here. <Link href="/">Back to clusters</Link>
              </Text>
            </Route>
          </Switch>
        </AppShell.Main>
      </AppShell>
    </ApiContext.Provider>
  );
}
