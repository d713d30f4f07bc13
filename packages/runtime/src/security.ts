/**
 * MSK's client authentication and encryption in transit (CreateClusterV2's `clientAuthentication` and
 * `encryptionInfo.encryptionInTransit`), resolved once into the listeners a cluster gets. The API
 * validates a request with it (an invalid combination is MSK's BadRequestException, naming the field)
 * and the worker plans brokers from the same answer, so both read the settings alike.
 *
 * MSK's listeners (https://docs.aws.amazon.com/msk/latest/developerguide/port-info.html), here:
 *   EXTERNAL           PLAINTEXT (MSK 9092)   clientBroker PLAINTEXT or TLS_PLAINTEXT, unauthenticated
 *   CLIENT_TLS         SSL (MSK 9094)         clientBroker TLS or TLS_PLAINTEXT, with unauthenticated TLS
 *                                             and/or mutual TLS (ssl.client.auth requested/required)
 *   CLIENT_SASL_SCRAM  SASL_SSL (MSK 9096)    sasl.scram.enabled
 *   CONTROL_PLANE      SASL_PLAINTEXT         Flotilla's own: the control plane's SCRAM super user, on
 *                                             every cluster that has client authentication or TLS
 *
 * Deviation from MSK: without `encryptionInfo` (and without SCRAM/mTLS, which need TLS) a cluster is
 * PLAINTEXT for clients and between brokers, as Flotilla clusters have always been; MSK defaults to TLS.
 */

/** What the request says (MSK's JSON shapes, members optional as in the API). */
export interface MskClientAuthentication {
  readonly sasl?: { readonly scram?: { readonly enabled?: boolean }; readonly iam?: { readonly enabled?: boolean } };
  readonly tls?: { readonly enabled?: boolean; readonly certificateAuthorityArnList?: readonly string[] };
  readonly unauthenticated?: { readonly enabled?: boolean };
}

export interface MskEncryptionInfo {
  readonly encryptionInTransit?: { readonly clientBroker?: string; readonly inCluster?: boolean };
  readonly encryptionAtRest?: unknown;
}

/** The listeners and checks a cluster gets. */
export interface ClientAccess {
  /** EXTERNAL, PLAINTEXT, unauthenticated. */
  readonly plaintext: boolean;
  /** CLIENT_TLS and its ssl.client.auth: `none` (unauthenticated TLS), `required` (mTLS), `requested` (both). */
  readonly tls: 'none' | 'requested' | 'required' | null;
  /** CLIENT_SASL_SCRAM (SASL_SSL, SCRAM-SHA-512 and SCRAM-SHA-256). */
  readonly saslScram: boolean;
  /** TLS with client certificates between brokers (INTERNAL listener). */
  readonly inClusterTls: boolean;
  /** StandardAuthorizer on (MSK turns it on with SCRAM or mTLS). */
  readonly authorizer: boolean;
}

/** Today's Flotilla cluster: one PLAINTEXT listener for clients, no authorizer. */
export const PLAINTEXT_ACCESS: ClientAccess = {
  plaintext: true,
  tls: null,
  saslScram: false,
  inClusterTls: false,
  authorizer: false,
};

/** A request MSK would refuse, with the member to name in invalidParameter. */
export class SecuritySettingsError extends Error {
  override readonly name = 'SecuritySettingsError';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

const CLIENT_BROKER = ['TLS', 'TLS_PLAINTEXT', 'PLAINTEXT'] as const;

/** Resolves the settings; throws SecuritySettingsError for a combination MSK refuses. */
export function resolveClientAccess(
  clientAuthentication: MskClientAuthentication | null | undefined,
  encryptionInfo: MskEncryptionInfo | null | undefined,
): ClientAccess {
  const auth = clientAuthentication ?? undefined;
  if (auth?.sasl?.iam?.enabled) {
    throw new SecuritySettingsError(
      'IAM access control (clientAuthentication.sasl.iam) is not supported by Flotilla; use SASL/SCRAM or TLS',
      'clientAuthentication',
    );
  }
  const scram = auth?.sasl?.scram?.enabled === true;
  const mutualTls = auth?.tls?.enabled === true || (auth?.tls?.certificateAuthorityArnList?.length ?? 0) > 0;
  // MSK: without a clientAuthentication object, access is unauthenticated; with one, only what it enables.
  const unauthenticated = auth === undefined ? true : auth.unauthenticated?.enabled === true;
  if (auth !== undefined && !scram && !mutualTls && !unauthenticated) {
    throw new SecuritySettingsError(
      'clientAuthentication must enable at least one of sasl.scram, tls or unauthenticated',
      'clientAuthentication',
    );
  }

  const transit = encryptionInfo?.encryptionInTransit;
  const given = transit?.clientBroker;
  if (given !== undefined && !(CLIENT_BROKER as readonly string[]).includes(given)) {
    throw new SecuritySettingsError(
      `clientBroker must be one of ${CLIENT_BROKER.join(', ')}, got ${given}`,
      'encryptionInfo',
    );
  }
  // MSK's default is TLS; Flotilla keeps PLAINTEXT when encryptionInfo is absent and nothing needs TLS.
  const clientBroker = given ?? (encryptionInfo == null && !scram && !mutualTls ? 'PLAINTEXT' : 'TLS');
  const inCluster = transit?.inCluster ?? encryptionInfo != null;
  const tlsAllowed = clientBroker !== 'PLAINTEXT';
  const plaintextAllowed = clientBroker !== 'TLS';

  if (scram && !tlsAllowed) {
    throw new SecuritySettingsError(
      'SASL/SCRAM authentication requires TLS encryption between clients and brokers (clientBroker TLS or TLS_PLAINTEXT)',
      'encryptionInfo',
    );
  }
  if (mutualTls && !tlsAllowed) {
    throw new SecuritySettingsError(
      'TLS client authentication requires TLS encryption between clients and brokers (clientBroker TLS or TLS_PLAINTEXT)',
      'encryptionInfo',
    );
  }
  if (plaintextAllowed && !unauthenticated) {
    throw new SecuritySettingsError(
      `Plaintext client-broker traffic (clientBroker ${clientBroker}) is unauthenticated: enable clientAuthentication.unauthenticated or use clientBroker TLS`,
      'encryptionInfo',
    );
  }
  const authorizer = scram || mutualTls;
  const tlsListener: ClientAccess['tls'] = !tlsAllowed
    ? null
    : mutualTls
      ? unauthenticated
        ? 'requested'
        : 'required'
      : unauthenticated
        ? 'none'
        : null;
  return {
    plaintext: plaintextAllowed && unauthenticated,
    tls: tlsListener,
    saslScram: scram,
    // Brokers prove who they are to one another when ACLs are enforced (their certificate's CN is a super
    // user), whatever inCluster says: over PLAINTEXT they would be User:ANONYMOUS, which clients are too.
    inClusterTls: inCluster || authorizer,
    authorizer,
  };
}

/** True when the cluster needs its CA (a TLS listener anywhere). */
export function needsTls(access: ClientAccess): boolean {
  return access.tls !== null || access.saslScram || access.inClusterTls;
}

/** True when the cluster is today's PLAINTEXT cluster: no control-plane listener, no TLS, no authorizer. */
export function isPlaintextOnly(access: ClientAccess): boolean {
  return access.plaintext && !needsTls(access) && !access.authorizer;
}

/** Listener names (the client ones in the order their host ports are reserved after the primary and metrics ports). */
export const LISTENERS = {
  plaintext: 'EXTERNAL',
  tls: 'CLIENT_TLS',
  saslScram: 'CLIENT_SASL_SCRAM',
  controlPlane: 'CONTROL_PLANE',
  /**
   * Between brokers with TLS, on a cluster that got it after it was created (UpdateSecurity,
   * security-update.ts); a cluster created with it has it on INTERNAL.
   */
  internalTls: 'INTERNAL_TLS',
} as const;

/**
 * The client listeners besides the broker's primary one. A PLAINTEXT-only cluster's primary listener is
 * EXTERNAL (the control plane uses it like any client); every other cluster's is CONTROL_PLANE.
 */
export function clientListeners(access: ClientAccess): string[] {
  if (isPlaintextOnly(access)) return [];
  return [
    ...(access.plaintext ? [LISTENERS.plaintext] : []),
    ...(access.tls !== null ? [LISTENERS.tls] : []),
    ...(access.saslScram ? [LISTENERS.saslScram] : []),
  ];
}

/** The control plane's SCRAM-SHA-512 super user on every secured cluster. */
export const CONTROL_PLANE_USER = 'flotilla-admin';
/** The common name in every broker's certificate: their principal between brokers, a super user. */
export const BROKER_PRINCIPAL_CN = 'flotilla-broker';
/** Names the API does not let users take (SCRAM users, client certificate common names). */
export function isReservedPrincipal(name: string): boolean {
  return name.startsWith('flotilla-');
}
