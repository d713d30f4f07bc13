import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BrokerConfig, ConfigSource, parseListener } from './broker-config.js';
import { ConfigError } from './definitions.js';
import { parseProperties } from './properties.js';

describe('server.properties parsing', () => {
  it('reads Java properties syntax', () => {
    const p = parseProperties(
      [
        '# comment',
        '! also a comment',
        'node.id=1',
        'listeners : PLAINTEXT://127.0.0.1:9092',
        'log.dirs /tmp/a,\\',
        '   /tmp/b',
        'weird\\=key=v\\u0041',
        '',
      ].join('\n'),
    );
    expect(Object.fromEntries(p)).toEqual({
      'node.id': '1',
      listeners: 'PLAINTEXT://127.0.0.1:9092',
      'log.dirs': '/tmp/a,/tmp/b',
      'weird=key': 'vA',
    });
  });
});

describe('BrokerConfig', () => {
  const base = new Map([
    ['node.id', '3'],
    ['listeners', 'PLAINTEXT://127.0.0.1:9092'],
  ]);

  it('loads a file then overrides, with Kafka defaults and typed getters', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'server.properties');
    writeFileSync(file, 'node.id=1\nnum.partitions=4\nlog.retention.hours=2\nlisteners=PLAINTEXT://127.0.0.1:9092\n');
    const warnings: string[] = [];
    const c = BrokerConfig.load(
      file,
      new Map([
        ['num.partitions', '6'],
        ['no.such.key', 'x'],
      ]),
      (m) => warnings.push(m),
    );
    expect(c.nodeId).toBe(1);
    expect(c.int('num.partitions')).toBe(6);
    expect(c.retentionMs).toBe(7_200_000);
    expect(c.bool('auto.create.topics.enable')).toBe(true);
    expect(c.long('log.flush.interval.messages')).toBe(Number.POSITIVE_INFINITY);
    expect(c.int('message.max.bytes')).toBe(1048588);
    expect(warnings).toEqual(['Unknown configuration no.such.key is ignored']);
    expect(c.topicDefault('retention.ms')).toEqual({
      name: 'retention.ms',
      value: '7200000',
      source: ConfigSource.STATIC_BROKER_CONFIG,
    });
    expect(c.topicDefault('segment.bytes').source).toBe(ConfigSource.DEFAULT_CONFIG);
  });

  it('fails at start on invalid values, naming the key', () => {
    const bad = (k: string, v: string) => () => new BrokerConfig(new Map([...base, [k, v]]));
    expect(bad('num.partitions', 'many')).toThrow(/num.partitions/);
    expect(bad('num.partitions', '0')).toThrow(ConfigError);
    expect(bad('auto.create.topics.enable', 'yes')).toThrow(/true or false/);
    expect(bad('log.cleanup.policy', 'shred')).toThrow(/one of delete, compact/);
    expect(bad('listeners', 'localhost:9092')).toThrow(/NAME:\/\/host:port/);
    expect(() => new BrokerConfig(new Map([['listeners', 'PLAINTEXT://:9092']]))).toThrow(/node.id/);
  });

  it('applies dynamic configs above static ones, and refuses read-only keys', () => {
    const c = new BrokerConfig(new Map([...base, ['log.retention.bytes', '100']]));
    c.setDynamic('log.retention.bytes', '200', 'default');
    expect(c.entry('log.retention.bytes')).toEqual({
      name: 'log.retention.bytes',
      value: '200',
      source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
    });
    c.setDynamic('log.retention.bytes', '300', 'broker');
    expect(c.long('log.retention.bytes')).toBe(300);
    c.setDynamic('log.retention.bytes', null, 'broker');
    expect(c.long('log.retention.bytes')).toBe(200);
    expect(() => c.setDynamic('node.id', '4', 'broker')).toThrow(/read-only/);
  });

  it('parses listeners, IPv6 included', () => {
    expect(parseListener('listeners', 'SASL_SSL://[::1]:9093')).toEqual({ name: 'SASL_SSL', host: '::1', port: 9093 });
    expect(parseListener('listeners', 'PLAINTEXT://:9092')).toEqual({ name: 'PLAINTEXT', host: '', port: 9092 });
  });

  it('reads a KRaft quorum: roles, voters and the controller listener, checked at start', () => {
    const kraft = new Map([
      ['node.id', '2'],
      ['process.roles', 'broker,controller'],
      ['listeners', 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093'],
      ['controller.listener.names', 'CONTROLLER'],
      ['controller.quorum.voters', '1@127.0.0.1:9093,2@10.0.0.2:9095,3@[::1]:9097'],
    ]);
    const c = new BrokerConfig(kraft);
    expect(c.processRoles).toEqual({ broker: true, controller: true });
    expect(c.quorumVoters).toEqual([
      { id: 1, host: '127.0.0.1', port: 9093 },
      { id: 2, host: '10.0.0.2', port: 9095 },
      { id: 3, host: '::1', port: 9097 },
    ]);
    expect(c.controllerListeners.map((l) => l.name)).toEqual(['CONTROLLER']);
    // Clients are never told about the controller listener.
    expect(c.advertisedListeners.map((l) => l.name)).toEqual(['PLAINTEXT']);
    expect(c.int('controller.quorum.election.timeout.ms')).toBe(1000);
    expect(c.int('controller.quorum.fetch.timeout.ms')).toBe(2000);
    expect(c.int('broker.session.timeout.ms')).toBe(9000);
    expect(() => new BrokerConfig(new Map([...kraft, ['node.id', '4']]))).toThrow(/not a voter/);
    expect(() => new BrokerConfig(new Map([...kraft, ['controller.listener.names', 'NOPE']]))).toThrow(
      /controller.listener.names/,
    );
    expect(() => new BrokerConfig(new Map([...kraft, ['controller.quorum.voters', '1@host']]))).toThrow(/id@host:port/);
    // A broker-only node need not be a voter.
    expect(new BrokerConfig(new Map([...kraft, ['node.id', '4'], ['process.roles', 'broker']])).processRoles).toEqual({
      broker: true,
      controller: false,
    });
  });
});
