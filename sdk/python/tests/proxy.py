"""A loopback TCP proxy the tests control, to break the SDK's connections to the daemon mid-stream.

Every connection the SDK opens to the proxy is relayed to the daemon by two threads. With
``cut_every(n)``, the proxy counts the bytes it relays from the daemon to the SDK and, each time
another ``n`` have passed, breaks the connection that carries them at that very byte: the SDK
sees its response end in the middle of an SSE event. Cuts alternate between a reset (RST) and
an orderly close (FIN), the two ways a network drops a connection. ``refuse()`` stops accepting
connections, so reconnects fail.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from urllib.parse import urlparse


class CuttingProxy:
    def __init__(self, target_url: str) -> None:
        target = urlparse(target_url)
        assert target.hostname and target.port
        self._target = (target.hostname, target.port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._every = 0
        self._max_cuts = 0
        self._relayed = 0
        self._next_cut = 0
        self._then_refuse = False
        self.cuts = 0
        self.connections = 0
        self._closed = False
        threading.Thread(target=self._accept, name="proxy-accept", daemon=True).start()

    def cut_every(self, n: int, max_cuts: int, *, then_refuse: bool = False) -> None:
        """From now on, break the connection carrying the daemon's bytes after every ``n`` of them.

        With ``then_refuse``, the proxy stops accepting connections at the last cut.
        """
        with self._lock:
            self._then_refuse = then_refuse
            self._every = n
            self._max_cuts = self.cuts + max_cuts
            self._next_cut = self._relayed + n

    def stop_cutting(self) -> None:
        with self._lock:
            self._every = 0

    def refuse(self) -> None:
        """Accept no more connections: the SDK's reconnects fail with ``connection refused``."""
        self._closed = True
        # shutdown() first: close() alone neither wakes the thread blocked in accept() nor stops
        # the kernel from accepting while that thread holds the socket.
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self._listener.close()

    def close(self) -> None:
        self.refuse()
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for a, b in pairs:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self._target)
            except OSError:
                client.close()
                continue
            up = threading.Thread(target=self._up, args=(client, upstream), daemon=True)
            with self._lock:
                self._pairs.append((client, upstream))
                self.connections += 1
            up.start()
            threading.Thread(target=self._down, args=(client, upstream, up), daemon=True).start()

    def _up(self, client: socket.socket, upstream: socket.socket) -> None:
        try:
            while data := client.recv(65536):
                upstream.sendall(data)
            upstream.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def _down(self, client: socket.socket, upstream: socket.socket, up: threading.Thread) -> None:
        try:
            while data := upstream.recv(65536):
                with self._lock:
                    cut_at = None
                    rst = False
                    if self._every and self.cuts < self._max_cuts and self._relayed + len(data) >= self._next_cut:
                        cut_at = self._next_cut - self._relayed
                        self._relayed = self._next_cut
                        self._next_cut += self._every
                        self.cuts += 1
                        rst = self.cuts % 2 == 1
                        if self._then_refuse and self.cuts == self._max_cuts:
                            self.refuse()
                    else:
                        self._relayed += len(data)
                if cut_at is None:
                    client.sendall(data)
                    continue
                client.sendall(data[:cut_at])
                self._break(client, upstream, up, rst)
                return
            client.shutdown(socket.SHUT_WR)
        except OSError:
            self._break(client, upstream, up, rst=False)

    def _break(self, client: socket.socket, upstream: socket.socket, up: threading.Thread, rst: bool) -> None:
        # A socket closed while another thread is blocked in recv() on it stays open until that
        # recv returns, so the reading thread is released first (SHUT_RD sends nothing to the peer).
        with contextlib.suppress(OSError):
            client.shutdown(socket.SHUT_RD)
        up.join(5)
        with contextlib.suppress(OSError):
            if rst:
                # Linger 0: close() sends RST instead of FIN, as a dropped NAT entry or a crash would.
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                client.shutdown(socket.SHUT_RDWR)
        for s in (client, upstream):
            with contextlib.suppress(OSError):
                s.close()
        with self._lock, contextlib.suppress(ValueError):
            self._pairs.remove((client, upstream))
