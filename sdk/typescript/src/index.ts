/**
 * TypeScript client of the Sandkasten daemon: sessions holding a persistent shell in a
 * sandbox, with blocking, streaming and background command execution, files and workspaces.
 *
 * @packageDocumentation
 */
export { SandboxClient, DEFAULT_BASE_URL, type SandboxClientOptions } from './client.js';
export { Session, type ExecRef, type RequestOptions } from './session.js';
export { ExecStream } from './stream.js';
export { ExecHandle } from './handle.js';
export { Files, type FileData, type FileOptions } from './files.js';
export { Workspace } from './workspace.js';
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
  QuotaExceededError,
  InternalServerError,
  ServiceUnavailableError,
  StreamError,
  CommandTimeoutError,
  CommandCancelledError,
} from './errors.js';
export type { FetchLike } from './http.js';
export type {
  AttachOptions,
  BackgroundExecOptions,
  CreateSessionOptions,
  DoneChunk,
  ExecChunk,
  ExecInfo,
  ExecOptions,
  ExecResult,
  ExecState,
  ExecStreamOptions,
  FileEntry,
  FileType,
  GapChunk,
  OutputChunk,
  OutputGap,
  SessionInfo,
  SessionStats,
  SessionStatus,
  SignalName,
  WorkspaceInfo,
  WriteResult,
} from './types.js';
