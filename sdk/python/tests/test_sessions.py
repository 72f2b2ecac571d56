"""Sessions against the real daemon: create, attach, list, info, stats, destroy, errors."""

from __future__ import annotations

import pytest

from sandkasten import (
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    SandboxClient,
    SandkastenConnectionError,
    Session,
    SessionInfo,
    SessionStats,
)

from .conftest import Daemon

pytestmark = pytest.mark.anyio


async def test_create_get_list_info_destroy(client: SandboxClient) -> None:
    session = await client.create_session(image="base", ttl_seconds=600, env={"GREETING": "hi"}, labels={"t": "1"})
    try:
        assert session.id.startswith("sb_")
        info = await session.info()
        assert isinstance(info, SessionInfo)
        assert (info.id, info.image, info.status, info.cwd, info.labels) == (
            session.id,
            "base",
            "running",
            "/workspace",
            {"t": "1"},
        )
        assert info.created_at < info.expires_at
        assert (await session.exec("echo $GREETING")).output == "hi\n"

        again = await client.get_session(session.id)
        assert isinstance(again, Session) and again.id == session.id
        assert (await again.exec("pwd")).output == "/workspace\n"

        assert session.id in [s.id for s in await client.list_sessions()]
    finally:
        await session.destroy()
    assert session.id not in [s.id for s in await client.list_sessions()]
    assert (await session.info()).status == "destroyed"  # the daemon remembers ended sessions a while


async def test_network_none_is_accepted_and_an_unknown_mode_refused(client: SandboxClient) -> None:
    async with await client.create_session(network="none") as s:
        assert (await s.exec("echo ok")).output == "ok\n"
    with pytest.raises(BadRequestError):
        await client.create_session(network="host-please")


async def test_default_image_is_python(client: SandboxClient) -> None:
    async with await client.create_session() as session:
        assert (await session.info()).image == "python"
        assert (await session.exec("python3 -c 'print(6*7)'")).output == "42\n"


async def test_async_with_destroys_the_session(client: SandboxClient) -> None:
    async with await client.create_session() as session:
        sid = session.id
    assert sid not in [s.id for s in await client.list_sessions()]
    # Leaving the block of a session destroyed inside it is fine too.
    async with await client.create_session() as session:
        await session.destroy()


async def test_stats(session: Session) -> None:
    await session.exec("sleep 30 &")
    stats = await session.stats()
    assert isinstance(stats, SessionStats)
    assert stats.memory_bytes > 0
    assert stats.memory_limit >= stats.memory_bytes
    assert stats.cpu_usage_usec > 0
    assert stats.pids is not None and stats.pids >= 2  # the shell and the background sleep


async def test_unknown_session_is_not_found(client: SandboxClient) -> None:
    with pytest.raises(NotFoundError) as info:
        await client.get_session("sb_doesnotexist")
    assert (info.value.status, info.value.code) == (404, "SESSION_NOT_FOUND")
    assert "create_session" in str(info.value)
    with pytest.raises(NotFoundError):
        await Session(client, "sb_doesnotexist").exec("true")


async def test_bad_arguments_are_rejected_by_the_daemon(client: SandboxClient) -> None:
    with pytest.raises(BadRequestError, match="image") as info:
        await client.create_session(image="no-such-image")
    assert info.value.code == "INVALID_REQUEST"


async def test_wrong_key_is_an_authentication_error(daemon: Daemon) -> None:
    async with SandboxClient(base_url=daemon.url, api_key="wrong-key-wrong-key") as bad:
        with pytest.raises(AuthenticationError, match="SANDKASTEN_API_KEY") as info:
            await bad.list_sessions()
    assert info.value.status == 401


async def test_unreachable_daemon_is_a_connection_error(free_tcp_port: int) -> None:
    async with SandboxClient(base_url=f"http://127.0.0.1:{free_tcp_port}", api_key="k" * 20) as c:
        with pytest.raises(SandkastenConnectionError, match="could not reach") as info:
            await c.list_sessions()
    assert "SANDKASTEN_URL" in str(info.value)


async def test_client_reads_url_and_key_from_the_environment(daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDKASTEN_URL", daemon.url)
    monkeypatch.setenv("SANDKASTEN_API_KEY", daemon.api_key)
    async with SandboxClient() as c:
        assert isinstance(await c.list_sessions(), list)
