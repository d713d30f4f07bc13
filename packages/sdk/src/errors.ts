/**
 * One error class for everything a call can fail with. Callers branch on `type` (STYLE.md: stable
 * codes, not message text): the API's exception name from the `x-amzn-ErrorType` header (MSK's
 * BadRequestException, NotFoundException, ConflictException, ... and AWS's InvalidSignatureException,
 * UnrecognizedClientException, MissingAuthenticationTokenException), or one of the SDK's own for
 * failures that never got an API answer (NetworkError, TimeoutError, InvalidResponse).
 */

export type SdkErrorType =
  | 'BadRequestException'
  | 'UnauthorizedException'
  | 'ForbiddenException'
  | 'NotFoundException'
  | 'ConflictException'
  | 'TooManyRequestsException'
  | 'InternalServerErrorException'
  | 'ServiceUnavailableException'
  | 'InvalidSignatureException'
  | 'UnrecognizedClientException'
  | 'MissingAuthenticationTokenException'
  // The SDK's own: no answer, no answer in time, an answer that is not the API's.
  | 'NetworkError'
  | 'TimeoutError'
  | 'InvalidResponse'
  // An exception name this SDK does not know yet, passed through.
  | (string & {});

const AUTH_TYPES = new Set([
  'InvalidSignatureException',
  'UnrecognizedClientException',
  'MissingAuthenticationTokenException',
  'UnauthorizedException',
  'ForbiddenException',
]);

export class SdkError extends Error {
  override readonly name = 'SdkError';
  constructor(
    /** The exception name (x-amzn-ErrorType), or NetworkError / TimeoutError / InvalidResponse. */
    readonly type: SdkErrorType,
    message: string,
    /** HTTP status; 0 when no answer arrived. */
    readonly status: number,
    /** The request member the API named as wrong (MSK's `invalidParameter`). */
    readonly invalidParameter?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /**
   * The server has no such route: this API version does not serve the call (an older control plane,
   * or a feature not built yet), as opposed to a resource that does not exist.
   */
  get routeMissing(): boolean {
    return this.status === 404 && this.message.startsWith('No route for ');
  }

  /** The credentials were refused (unknown key, bad signature, missing Authorization). */
  get authFailed(): boolean {
    return AUTH_TYPES.has(this.type);
  }
}

export function isSdkError(error: unknown): error is SdkError {
  return error instanceof SdkError;
}
