// A loopback TCP proxy between the SDK and the daemon that the test controls: it cuts
// connections once an answer has carried a given number of bytes towards the client
// (alternating a clean close and a reset), and can drop every connection and refuse new ones.
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export class CuttingProxy {
  /** How many connections it has cut. */
  cuts = 0;
  private cutsLeft = 0;
  private cutAfter = Infinity;
  private refusing = false;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** A proxy on a free loopback port forwarding to `target` (`http://127.0.0.1:PORT`). */
  static async start(target: string): Promise<CuttingProxy> {
    const { hostname, port } = new URL(target);
    let proxy!: CuttingProxy;
    const server = createServer((client) => proxy.accept(client, hostname, Number(port)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new CuttingProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return proxy;
  }

  /** Cuts the next `times` connections whose answer carries more than `bytes` bytes. */
  cut(bytes: number, times: number): void {
    this.cutAfter = bytes;
    this.cutsLeft = times;
  }

  /** Drops every connection now and closes every new one at once. */
  refuse(): void {
    this.refusing = true;
    for (const socket of this.sockets) socket.destroy();
  }

  /** Back to forwarding everything untouched. */
  reset(): void {
    this.cutsLeft = 0;
    this.cutAfter = Infinity;
    this.refusing = false;
    this.cuts = 0;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, host: string, port: number): void {
    if (this.refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(port, host);
    this.sockets.add(client);
    this.sockets.add(upstream);
    let carried = 0;
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    upstream.on('data', (data: Buffer) => {
      if (this.cutsLeft > 0 && carried + data.length > this.cutAfter) {
        this.cutsLeft--;
        this.cuts++;
        // Part of the data first, so that the client is left holding half an event.
        client.write(data.subarray(0, Math.max(0, this.cutAfter - carried)));
        if (this.cuts % 2 === 0) client.resetAndDestroy();
        else client.end();
        upstream.destroy();
        return;
      }
      carried += data.length;
      if (!client.write(data)) {
        upstream.pause();
        client.once('drain', () => upstream.resume());
      }
    });
    client.on('data', (data: Buffer) => {
      // A new request on a kept-alive connection: its answer is counted from zero.
      carried = 0;
      upstream.write(data);
    });
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  }
}
