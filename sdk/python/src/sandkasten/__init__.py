"""Python client for Sandkasten, a self-hosted sandbox runtime for AI agents.

Example:
    >>> import asyncio
    >>> from sandkasten import SandboxClient
    >>> async def main() -> None:
    ...     async with SandboxClient() as client:  # SANDKASTEN_URL, SANDKASTEN_API_KEY
    ...         async with await client.create_session() as session:
    ...             async for chunk in session.exec_stream("for i in 1 2 3; do echo $i; done"):
    ...                 print(chunk.output, end="")
    >>> asyncio.run(main())
    1
    2
    3
"""

from ._client import ExecHandle, ExecRef, ExecStream, SandboxClient, Session, Workspace
from ._errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    CommandCancelledError,
    CommandTimeoutError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PayloadTooLargeError,
    QuotaExceededError,
    SandkastenAPIError,
    SandkastenConnectionError,
    SandkastenError,
    SandkastenStreamError,
    ServiceUnavailableError,
    SessionGoneError,
    StreamError,
)
from ._sync import SyncExecHandle, SyncExecRef, SyncExecStream, SyncSandboxClient, SyncSession, SyncWorkspace
from ._types import (
    ExecChunk,
    ExecInfo,
    ExecResult,
    ExecState,
    FileEntry,
    FileType,
    ReadResult,
    SessionInfo,
    SessionStats,
    WorkspaceInfo,
    WriteResult,
)
from ._version import __version__

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "CommandCancelledError",
    "CommandTimeoutError",
    "ConflictError",
    "ExecChunk",
    "ExecHandle",
    "ExecInfo",
    "ExecRef",
    "ExecResult",
    "ExecState",
    "ExecStream",
    "FileEntry",
    "FileType",
    "InternalServerError",
    "NotFoundError",
    "PayloadTooLargeError",
    "QuotaExceededError",
    "ReadResult",
    "SandboxClient",
    "SandkastenAPIError",
    "SandkastenConnectionError",
    "SandkastenError",
    "SandkastenStreamError",
    "ServiceUnavailableError",
    "Session",
    "SessionGoneError",
    "SessionInfo",
    "SessionStats",
    "StreamError",
    "SyncExecHandle",
    "SyncExecRef",
    "SyncExecStream",
    "SyncSandboxClient",
    "SyncSession",
    "SyncWorkspace",
    "Workspace",
    "WorkspaceInfo",
    "WriteResult",
    "__version__",
]
