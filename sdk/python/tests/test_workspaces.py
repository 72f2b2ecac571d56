"""Persistent workspaces against the real daemon: shared across sessions, file routes without a session."""

from __future__ import annotations

import contextlib
import io
import uuid
from collections.abc import AsyncIterator

import pytest

from sandkasten import BadRequestError, ConflictError, NotFoundError, SandboxClient, Workspace

pytestmark = pytest.mark.anyio


@pytest.fixture
async def workspace_id(client: SandboxClient) -> AsyncIterator[str]:
    # The daemon lives for the whole run, so each test gets a workspace of its own.
    wid = f"ws-{uuid.uuid4().hex[:12]}"
    yield wid
    with contextlib.suppress(NotFoundError):
        await client.delete_workspace(wid)


async def test_files_outlive_the_session_and_reach_the_next_one(client: SandboxClient, workspace_id: str) -> None:
    async with await client.create_session(workspace_id=workspace_id) as first:
        assert (await first.info()).workspace_id == workspace_id
        await first.exec("mkdir -p src && echo 'print(42)' > src/main.py")
        await first.write("data/blob.bin", bytes(range(256)))
        listed = {w.id: w for w in await client.list_workspaces()}
        assert listed[workspace_id].sessions == 1 and listed[workspace_id].created_at
        with pytest.raises(ConflictError):
            await client.delete_workspace(workspace_id)  # in use

    assert {w.id: w.sessions for w in await client.list_workspaces()}[workspace_id] == 0
    async with await client.create_session(workspace_id=workspace_id) as second:
        assert (await second.exec("python3 src/main.py")).output == "42\n"
        assert await second.read_bytes("data/blob.bin") == bytes(range(256))

    await client.delete_workspace(workspace_id)
    assert workspace_id not in [w.id for w in await client.list_workspaces()]
    with pytest.raises(NotFoundError):
        await client.delete_workspace(workspace_id)
    with pytest.raises(NotFoundError):
        await client.workspace(workspace_id).read_text("src/main.py")


async def test_file_routes_without_a_session(client: SandboxClient, workspace_id: str) -> None:
    ws = client.workspace(workspace_id)
    assert isinstance(ws, Workspace) and ws.id == workspace_id
    with pytest.raises(NotFoundError):
        await ws.list_dir()  # reads of a workspace that does not exist yet
    assert (await ws.write("notes/todo.md", "- ship it\n")).path == "/workspace/notes/todo.md"  # creates it
    assert workspace_id in [w.id for w in await client.list_workspaces()]
    assert await ws.mkdir("empty/dir") == "/workspace/empty/dir"
    assert await ws.upload(io.BytesIO(b"a,b\n1,2\n"), filename="table.csv", dest_path="data") == [
        "/workspace/data/table.csv"
    ]
    assert [(e.name, e.type) for e in await ws.list_dir()] == [
        ("data", "directory"),
        ("empty", "directory"),
        ("notes", "directory"),
    ]
    assert (await ws.stat("data/table.csv")).size == 8
    assert (await ws.read("notes/todo.md")).content == b"- ship it\n"
    sink = io.BytesIO()
    assert await ws.download("data/table.csv", sink) == 8 and sink.getvalue() == b"a,b\n1,2\n"
    await ws.remove("empty")

    async with await client.create_session(workspace_id=workspace_id) as session:
        assert (
            await session.exec("cat notes/todo.md data/table.csv; ls")
        ).output == "- ship it\na,b\n1,2\ndata\nnotes\n"
        # A live session and the workspace routes see the same files at once.
        await session.exec("echo from-session > live.txt")
        assert await ws.read_text("live.txt") == "from-session\n"
        await ws.write("live.txt", "from-routes\n")
        assert (await session.exec("cat live.txt")).output == "from-routes\n"

    await ws.delete()
    assert workspace_id not in [w.id for w in await client.list_workspaces()]


async def test_workspace_ids_are_checked(client: SandboxClient) -> None:
    with pytest.raises(BadRequestError):
        await client.workspace("-starts-with-a-dash").write("x.txt", "x")
    with pytest.raises(BadRequestError):
        await client.create_session(workspace_id="has space")
    with pytest.raises(ValueError):
        client.workspace("")
