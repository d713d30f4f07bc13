import { Group, Text } from '@mantine/core';

export function Logo({ size = 26 }: { size?: number }) {
  return (
    <Group gap={8} wrap="nowrap">
      <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true">
        <path d="M4 22h24l-4 6H8z" fill="var(--mantine-color-indigo-6)" />
        <path d="M15 4v16H7z" fill="var(--mantine-color-indigo-4)" />
        <path d="M17 8v12h7z" fill="var(--mantine-color-cyan-4)" />
      </svg>
      <Text fw={700} size="lg" style={{ letterSpacing: -0.3 }}>
        Flotilla
      </Text>
    </Group>
  );
}
