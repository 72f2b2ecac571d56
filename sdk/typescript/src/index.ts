/**
 * TypeScript client of the Sandkasten daemon: sessions holding a persistent shell in a
 * sandbox, with blocking and streaming command execution.
 *
 * @packageDocumentation
 */
export { SandboxClient, DEFAULT_BASE_URL, type SandboxClientOptions } from './client.js';
export { Session, type RequestOptions } from './session.js';
export { ExecStream } from './stream.js';
export {
  SandkastenError,
  SandkastenConnectionError,
  APIError,
  BadRequestError,
  AuthenticationError,
  NotFoundError,
  ConflictError,
  SessionGoneError,
  PayloadTooLargeError,
  InternalServerError,
  ServiceUnavailableError,
  StreamError,
  CommandTimeoutError,
  CommandCancelledError,
} from './errors.js';
export type { FetchLike } from './http.js';
export type {
  CreateSessionOptions,
  DoneChunk,
  ExecChunk,
  ExecOptions,
  ExecResult,
  ExecStreamOptions,
  OutputChunk,
  SessionInfo,
  SessionStats,
  SessionStatus,
} from './types.js';
