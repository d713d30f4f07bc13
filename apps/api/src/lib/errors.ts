/**
 * The errors the API answers with, in MSK's shapes: the status code of the exception in the AWS model,
 * the exception's name in the `x-amzn-ErrorType` header (what the AWS SDK reads to pick the error
 * class), and a body `{ message, invalidParameter? }`.
 */
export type MskErrorType =
  | 'BadRequestException'
  | 'UnauthorizedException'
  | 'ForbiddenException'
  | 'NotFoundException'
  | 'ConflictException'
  | 'TooManyRequestsException'
  | 'InternalServerErrorException'
  | 'ServiceUnavailableException'
  // What AWS answers for a request it cannot authenticate (not in MSK's model, common to AWS services).
  | 'InvalidSignatureException'
  | 'UnrecognizedClientException'
  | 'MissingAuthenticationTokenException';

const STATUS: Record<MskErrorType, number> = {
  BadRequestException: 400,
  UnauthorizedException: 401,
  ForbiddenException: 403,
  NotFoundException: 404,
  ConflictException: 409,
  TooManyRequestsException: 429,
  InternalServerErrorException: 500,
  ServiceUnavailableException: 503,
  InvalidSignatureException: 403,
  UnrecognizedClientException: 403,
  MissingAuthenticationTokenException: 403,
};

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly statusCode: number;
  constructor(
    readonly type: MskErrorType,
    message: string,
    readonly invalidParameter?: string,
  ) {
    super(message);
    this.statusCode = STATUS[type];
  }
}

export const badRequest = (message: string, invalidParameter?: string) =>
  new ApiError('BadRequestException', message, invalidParameter);
export const notFound = (message: string, invalidParameter?: string) =>
  new ApiError('NotFoundException', message, invalidParameter);
export const conflict = (message: string, invalidParameter?: string) =>
  new ApiError('ConflictException', message, invalidParameter);
