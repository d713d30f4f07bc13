/**
 * MSK's client authentication and encryption in transit as the console shows them: the create form's
 * choices, the rules the API enforces on them (packages/runtime/src/security.ts, resolveClientAccess:
 * test/security-rules.test.ts checks every combination against it), the request body in MSK's shape,
 * and what a created cluster has enabled. The console does not import @flotilla/runtime: it is a
 * Node package (dockerode, child processes), and these rules are a few lines.
 */

export type ClientBroker = 'TLS' | 'TLS_PLAINTEXT' | 'PLAINTEXT';

export interface SecurityChoices {
  /** clientAuthentication.unauthenticated.enabled */
  unauthenticated: boolean;
  /** clientAuthentication.sasl.scram.enabled */
  scram: boolean;
  /** clientAuthentication.tls.enabled: mutual TLS with certificates from the cluster's CA */
  tls: boolean;
  /** encryptionInfo.encryptionInTransit.clientBroker */
  clientBroker: ClientBroker;
  /** encryptionInfo.encryptionInTransit.inCluster */
  inCluster: boolean;
}

/** Where a refusal is shown: the access control choices or the client-broker encryption. */
export type SecurityField = 'authentication' | 'clientBroker';

/** The API's refusals (BadRequestException naming clientAuthentication or encryptionInfo), in the form's words. */
export function securityErrors(c: SecurityChoices): Partial<Record<SecurityField, string>> {
  if (!c.unauthenticated && !c.scram && !c.tls) {
    return { authentication: 'Choose at least one way for clients to connect' };
  }
  const needsTls = [c.scram && 'SASL/SCRAM', c.tls && 'TLS client authentication'].filter(Boolean);
  if (c.clientBroker === 'PLAINTEXT' && needsTls.length) {
    return {
      clientBroker: `${needsTls.join(' and ')} ${needsTls.length > 1 ? 'need' : 'needs'} TLS between clients and brokers: choose TLS or TLS and plaintext`,
    };
  }
  if (c.clientBroker !== 'TLS' && !c.unauthenticated) {
    return {
      clientBroker:
        'Plaintext traffic is unauthenticated: choose TLS only, or allow unauthenticated access for plaintext clients',
    };
  }
  return {};
}

/** True when brokers use TLS between themselves whatever inCluster says (they authenticate one another). */
export function inClusterForced(c: SecurityChoices): boolean {
  return c.scram || c.tls;
}

/** CreateClusterV2's clientAuthentication and encryptionInfo, as MSK's console sends them. */
export function securityRequest(c: SecurityChoices) {
  return {
    clientAuthentication: {
      sasl: { scram: { enabled: c.scram }, iam: { enabled: false } },
      tls: { enabled: c.tls, certificateAuthorityArnList: [] as string[] },
      unauthenticated: { enabled: c.unauthenticated },
    },
    encryptionInfo: {
      encryptionInTransit: { clientBroker: c.clientBroker, inCluster: c.inCluster || inClusterForced(c) },
    },
  };
}

/**
 * UpdateSecurity's body for the choices: the whole client authentication and the client-broker
 * encryption. inCluster is left out: it cannot be updated, and the API turns TLS between brokers on
 * itself when SCRAM or TLS client authentication needs it.
 */
export function securityUpdateRequest(c: Omit<SecurityChoices, 'inCluster'>) {
  const { clientAuthentication, encryptionInfo } = securityRequest({ ...c, inCluster: false });
  return {
    clientAuthentication,
    encryptionInfo: { encryptionInTransit: { clientBroker: encryptionInfo.encryptionInTransit.clientBroker } },
  };
}

/** A cluster's settings (DescribeClusterV2) as the form's choices, with the API's defaults. */
export function securityChoicesOf(clientAuthentication: unknown, encryptionInfo: unknown): SecurityChoices {
  const a = clientAuthentication as StoredAuthentication | undefined | null;
  const { scram, mutualTls } = clusterAuthentication(a);
  const e = encryptionInfo as { encryptionInTransit?: { clientBroker?: ClientBroker; inCluster?: boolean } } | null;
  return {
    unauthenticated: a === undefined || a === null || a.unauthenticated?.enabled === true,
    scram,
    tls: mutualTls,
    clientBroker: e?.encryptionInTransit?.clientBroker ?? (e == null && !scram && !mutualTls ? 'PLAINTEXT' : 'TLS'),
    inCluster: e?.encryptionInTransit?.inCluster ?? (e != null || scram || mutualTls),
  };
}

interface StoredAuthentication {
  sasl?: { scram?: { enabled?: boolean } };
  tls?: { enabled?: boolean; certificateAuthorityArnList?: string[] };
  unauthenticated?: { enabled?: boolean };
}

/** What a cluster (DescribeClusterV2's provisioned.clientAuthentication) lets clients do. */
export function clusterAuthentication(clientAuthentication: unknown): { scram: boolean; mutualTls: boolean } {
  const a = (clientAuthentication ?? {}) as StoredAuthentication;
  return {
    scram: a.sasl?.scram?.enabled === true,
    mutualTls: a.tls?.enabled === true || (a.tls?.certificateAuthorityArnList?.length ?? 0) > 0,
  };
}

/** A cluster's access control methods and client-broker encryption in words, with the API's defaults. */
export function securitySummary(
  clientAuthentication: unknown,
  encryptionInfo: unknown,
): { authentication: string; encryption: string } {
  const a = clientAuthentication as StoredAuthentication | undefined;
  const { scram, mutualTls } = clusterAuthentication(a);
  const unauthenticated = a === undefined || a === null || a.unauthenticated?.enabled === true;
  const methods = [unauthenticated && 'Unauthenticated', scram && 'SASL/SCRAM', mutualTls && 'TLS certificates'];
  const e = encryptionInfo as { encryptionInTransit?: { clientBroker?: ClientBroker } } | undefined | null;
  const clientBroker =
    e?.encryptionInTransit?.clientBroker ?? (e == null && !scram && !mutualTls ? 'PLAINTEXT' : 'TLS');
  const encryption = { TLS: 'TLS', TLS_PLAINTEXT: 'TLS and plaintext', PLAINTEXT: 'Plaintext' }[clientBroker];
  return { authentication: methods.filter(Boolean).join(', '), encryption };
}

/** GetBootstrapBrokers' strings for clients, each with its label, security.protocol and MSK's port. */
export const BOOTSTRAP_MODES = [
  { key: 'bootstrapBrokerString', label: 'Plaintext', protocol: 'PLAINTEXT', mskPort: 9092 },
  { key: 'bootstrapBrokerStringTls', label: 'TLS', protocol: 'SSL', mskPort: 9094 },
  { key: 'bootstrapBrokerStringSaslScram', label: 'SASL/SCRAM', protocol: 'SASL_SSL', mskPort: 9096 },
] as const;
export type BootstrapMode = (typeof BOOTSTRAP_MODES)[number];

/** The file name "Download CA certificate" saves a cluster's CA under. */
export function caFileName(clusterName: string): string {
  return `${clusterName}-ca.pem`;
}

/**
 * A Java client's properties and kcat's -X flags for one mode. The CA is the file "Download CA
 * certificate" saves (PEM truststores: KIP-651, Kafka 2.7+); user and password are placeholders unless given.
 */
export function clientSettings(
  mode: BootstrapMode,
  servers: string,
  opts: { caFile?: string; mutualTls?: boolean; username?: string; mechanism?: string } = {},
): { properties: string; kcat: string } {
  const caFile = opts.caFile ?? 'ca.pem';
  const user = opts.username ?? '<username>';
  const mechanism = opts.mechanism ?? 'SCRAM-SHA-512';
  const props = [`bootstrap.servers=${servers}`, `security.protocol=${mode.protocol}`];
  const flags = [`-b ${servers}`, `-X security.protocol=${mode.protocol}`];
  if (mode.protocol === 'SASL_SSL') {
    props.push(
      `sasl.mechanism=${mechanism}`,
      `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" password="<password>";`,
    );
    flags.push(`-X sasl.mechanisms=${mechanism}`, `-X sasl.username=${user}`, `-X 'sasl.password=<password>'`);
  }
  if (mode.protocol !== 'PLAINTEXT') {
    props.push('ssl.truststore.type=PEM', `ssl.truststore.location=${caFile}`);
    flags.push(`-X ssl.ca.location=${caFile}`);
  }
  if (mode.protocol === 'SSL' && opts.mutualTls) {
    // Java reads one PEM with the key and its certificate; librdkafka takes them apart.
    props.push('ssl.keystore.type=PEM', 'ssl.keystore.location=<client>.key-and-crt.pem');
    flags.push('-X ssl.certificate.location=<client>.crt', '-X ssl.key.location=<client>.key');
  }
  return { properties: props.join('\n'), kcat: `kcat ${flags.join(' \\\n  ')} -L` };
}
