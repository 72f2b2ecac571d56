"""Files of a session against the real daemon: write, read, upload, download, list, stat, mkdir, remove."""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc
from pathlib import Path

import pytest

from sandkasten import (
    BadRequestError,
    FileEntry,
    NotFoundError,
    PayloadTooLargeError,
    SandboxClient,
    Session,
    SessionGoneError,
)

from .conftest import MAX_FILE_BYTES, MAX_READ_BYTES

pytestmark = pytest.mark.anyio

ALL_BYTES = bytes(range(256))


async def sandbox_sha256(session: Session, path: str) -> str:
    result = await session.exec(f"sha256sum {path} | cut -d' ' -f1")
    assert result.exit_code == 0, result.output
    return result.output.strip()


class Unseekable(io.RawIOBase):
    """A stream of known bytes that cannot tell its size, like a pipe: uploaded without Content-Length."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        return self._data.readinto(b)


async def test_text_round_trip(session: Session) -> None:
    content = "héllo wörld ✓ 😀\nsecond line\n"
    written = await session.write("notes/hello.txt", content)
    assert (written.path, written.size) == ("/workspace/notes/hello.txt", len(content.encode()))
    assert await session.read_text("notes/hello.txt") == content
    assert await session.read_text("/workspace/notes/hello.txt") == content
    result = await session.read("notes/hello.txt")
    assert (result.content, result.path, result.truncated, result.size) == (
        content.encode(),
        "/workspace/notes/hello.txt",
        False,
        len(content.encode()),
    )
    assert (await session.exec("cat notes/hello.txt")).output == content
    # Writing again replaces the file.
    await session.write("notes/hello.txt", "short")
    assert await session.read_text("notes/hello.txt") == "short"


async def test_binary_round_trip_with_every_byte_value(session: Session) -> None:
    data = ALL_BYTES * 4 + ALL_BYTES[::-1]
    assert (await session.write("bin/all.dat", data)).size == len(data)
    assert await session.read_bytes("bin/all.dat") == data
    assert (await session.read("bin/all.dat")).content == data
    assert await sandbox_sha256(session, "bin/all.dat") == hashlib.sha256(data).hexdigest()
    # And the other way: bytes a command wrote come back exact.
    await session.exec("printf '\\x00\\xff\\x80\\r\\n' > made.bin")
    assert await session.read_bytes("made.bin") == b"\x00\xff\x80\r\n"
    with pytest.raises(UnicodeDecodeError):
        await session.read_text("made.bin")
    assert await session.read_text("made.bin", errors="replace") == "\x00\ufffd\ufffd\r\n"


async def test_large_upload_and_download_are_streamed(session: Session, tmp_path: Path) -> None:
    size = 24 << 20
    local = tmp_path / "big.bin"
    with local.open("wb") as f:
        for _ in range(size >> 20):
            f.write(os.urandom(1 << 20))
    want = hashlib.sha256(local.read_bytes()).hexdigest()

    tracemalloc.start()
    try:
        paths = await session.upload(local, dest_path="/workspace/data")
        _, upload_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        back = tmp_path / "back.bin"
        assert await session.download("data/big.bin", back) == size
        _, download_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert paths == ["/workspace/data/big.bin"]
    # Neither direction held the file in memory: a few 1 MiB pieces at most.
    assert upload_peak < 8 << 20, upload_peak
    assert download_peak < 8 << 20, download_peak
    assert await sandbox_sha256(session, "data/big.bin") == want
    assert hashlib.sha256(back.read_bytes()).hexdigest() == want
    assert (await session.stat("data/big.bin")).size == size

    # To and from file objects, under another name; one that cannot tell its size goes chunked.
    with local.open("rb") as f:
        assert await session.upload(f, filename="copy.bin") == ["/workspace/copy.bin"]
    sink = io.BytesIO()
    assert await session.download("copy.bin", sink) == size
    assert hashlib.sha256(sink.getvalue()).hexdigest() == want
    data = os.urandom(3 << 20)
    assert await session.upload(Unseekable(data), filename="piped.bin", dest_path="in") == ["/workspace/in/piped.bin"]
    assert await session.read_bytes("in/piped.bin") == data

    # Over the JSON read route's limit: 413, unless only the start is asked for.
    with pytest.raises(PayloadTooLargeError) as e:
        await session.read("data/big.bin")
    assert e.value.status == 413 and e.value.code == "PAYLOAD_TOO_LARGE"
    assert size > MAX_READ_BYTES
    start = await session.read("data/big.bin", max_bytes=1000)
    assert (len(start.content), start.truncated, start.size) == (1000, True, size)
    assert start.content == back.read_bytes()[:1000]


async def test_an_upload_over_the_file_limit_is_refused_and_leaves_nothing(session: Session, tmp_path: Path) -> None:
    local = tmp_path / "huge.bin"
    with local.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: no time or disk spent on it
    with pytest.raises(PayloadTooLargeError):
        await session.upload(local)
    with pytest.raises(NotFoundError):
        await session.stat("huge.bin")
    assert (await session.exec("echo still fine")).output == "still fine\n"


async def test_list_stat_mkdir_remove(session: Session) -> None:
    assert await session.mkdir("a/b/c") == "/workspace/a/b/c"
    assert await session.mkdir("a/b/c") == "/workspace/a/b/c"  # like mkdir -p
    await session.write("a/z.txt", "zz")
    await session.write("a/b/y.txt", "y")
    await session.exec("ln -s z.txt a/link")

    entries = await session.list_dir("a")
    assert [(e.name, e.type) for e in entries] == [("b", "directory"), ("link", "symlink"), ("z.txt", "file")]
    z = entries[2]
    assert isinstance(z, FileEntry)
    assert (z.path, z.size, z.mode) == ("/workspace/a/z.txt", 2, "0644")
    assert z.modified_at.endswith("Z")
    assert [e.name for e in await session.list_dir()] == ["a"]  # /workspace by default

    assert (await session.stat("a/link")).type == "file"  # stat follows a symlink it is given
    assert await session.exists("a/link") and await session.exists("a/b/c")
    assert not await session.exists("a/nothing")
    assert (await session.stat("a/b")).type == "directory"

    await session.remove("a/z.txt")
    await session.remove("a/b")  # recursively
    assert [e.name for e in await session.list_dir("a")] == ["link"]
    with pytest.raises(NotFoundError):
        await session.stat("a/b/c")


async def test_file_errors_map_to_the_sdk_errors(client: SandboxClient, session: Session) -> None:
    with pytest.raises(NotFoundError) as e:
        await session.read_text("missing.txt")
    assert (e.value.status, e.value.code) == (404, "NOT_FOUND")
    with pytest.raises(NotFoundError):
        await session.read("missing.txt")
    with pytest.raises(NotFoundError):
        await session.download("missing.txt", io.BytesIO())
    with pytest.raises(NotFoundError):
        await session.remove("missing.txt")
    with pytest.raises(BadRequestError):
        await session.read_text("/etc/passwd")  # outside /workspace
    with pytest.raises(BadRequestError):
        await session.write("../escape.txt", "x")
    await session.write("file.txt", "x")
    with pytest.raises(BadRequestError):
        await session.list_dir("file.txt")  # not a directory
    with pytest.raises(BadRequestError):
        await session.remove("/workspace")

    # Checked before anything is sent.
    with pytest.raises(ValueError, match="path"):
        await session.write("", "x")
    with pytest.raises(TypeError):
        await session.write("x.txt", 42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="filename"):
        await session.upload(io.BytesIO(b"no name"))
    with pytest.raises(ValueError, match="max_bytes"):
        await session.read("file.txt", max_bytes=-1)

    with pytest.raises(NotFoundError) as e:
        await Session(client, "sb_nosuchsession").read_text("file.txt")
    assert e.value.code == "SESSION_NOT_FOUND"
    with pytest.raises(NotFoundError):
        await Session(client, "sb_nosuchsession").exists("file.txt")
    ended = await client.create_session()
    await ended.destroy()
    with pytest.raises(SessionGoneError):
        await ended.write("x.txt", "x")
