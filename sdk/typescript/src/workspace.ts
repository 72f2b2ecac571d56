import { Files } from './files.js';
import type { Http } from './http.js';
import type { RequestOptions } from './session.js';

/**
 * A persistent workspace: a directory the daemon keeps until it is deleted. Sessions created
 * with its `workspaceId` see it at `/workspace` (several at once, shared live); its files can
 * also be read and written without any session. Get one with {@link SandboxClient.workspace}.
 *
 * @example
 * const workspace = client.workspace('project-42');
 * await workspace.files.write('input.csv', 'a,b\n1,2\n'); // creates the workspace if needed
 * const session = await client.createSession({ workspaceId: workspace.id });
 * console.log((await session.exec('wc -l input.csv')).output); // 2 input.csv
 */
export class Workspace {
  /** The workspace id. */
  readonly id: string;
  /** The workspace's files; writes create the workspace, reads of a missing one are `NotFoundError`. */
  readonly files: Files;
  readonly #http: Http;
  readonly #path: string;

  /** @internal Use `SandboxClient.workspace`. */
  constructor(http: Http, id: string) {
    this.id = id;
    this.#http = http;
    this.#path = `/v1/workspaces/${encodeURIComponent(id)}`;
    this.files = new Files(http, this.#path);
  }

  /**
   * Deletes the workspace and all its files.
   *
   * @throws {NotFoundError} there is no such workspace
   * @throws {ConflictError} a live session uses it
   */
  async delete(options: RequestOptions = {}): Promise<void> {
    await this.#http.json('DELETE', this.#path, options);
  }
}

/** Workspace ids: 1 to 64 letters, digits, `_`, `-` and `.`, starting with a letter or digit. */
const WORKSPACE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** @internal Throws a TypeError for an id the daemon would refuse. */
export function checkWorkspaceId(id: unknown): string {
  if (typeof id !== 'string' || !WORKSPACE_ID.test(id)) {
    throw new TypeError(
      `workspace ids are 1 to 64 letters, digits, '_', '-' and '.', starting with a letter or digit; got '${String(id)}'`,
    );
  }
  return id;
}
