/**
 * TypeScript client for the Sandkasten daemon: sessions holding a persistent shell in a
 * sandbox, with blocking and streaming command execution.
 *
 * @packageDocumentation
 */
export { SandboxClient, DEFAULT_BASE_URL, type SandboxClientOptions } from './client.js';
export { Session } from './session.js';
export {
  SandkastenError,
  ConnectionError,
  APIError,
  AuthenticationError,
  NotFoundError,
  ConflictError,
  SessionGoneError,
  InvalidRequestError,
  UnavailableError,
  InternalServerError,
  StreamError,
  CommandTimeoutError,
  type StreamErrorDetails,
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
