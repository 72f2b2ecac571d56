"""The Python examples of the streaming document, verbatim, in the document's order.

Source: shared/seeds/000_816ee4778e85699e.txt (the streaming-exec document the project started
from). ``test_doc_examples.py`` runs each one against the daemon, and checks that this list
still matches the document whenever the document is present beside the repository.
"""

EXAMPLES: dict[str, str] = {
    "blocking": r"""result = await session.exec("pip install pandas")
print(result.output)  # All output at once
""",
    "streaming": r"""async for chunk in session.exec_stream("pip install pandas"):
    print(chunk.output, end='', flush=True)
    if chunk.done:
        print(f"\nExit code: {chunk.exit_code}")
""",
    "sdk_usage": r"""from sandkasten import SandboxClient

client = SandboxClient(base_url="...", api_key="...")
session = await client.create_session()

# Blocking
result = await session.exec("echo hello")
print(result.output)

# Streaming
async for chunk in session.exec_stream("pip install requests"):
    print(chunk.output, end='', flush=True)

    if chunk.done:
        print(f"\nCompleted in {chunk.duration_ms}ms")
        print(f"Exit code: {chunk.exit_code}")
""",
    "progress_indicator": r"""async for chunk in session.exec_stream("pip install pandas numpy scipy"):
    # Show output with progress
    print(chunk.output, end='', flush=True)

    if chunk.done:
        if chunk.exit_code == 0:
            print("\n✅ Installation successful")
        else:
            print(f"\n❌ Installation failed (code {chunk.exit_code})")
""",
    "collect_and_display": r"""output_buffer = []

async for chunk in session.exec_stream("python long_running.py"):
    output_buffer.append(chunk.output)
    print(chunk.output, end='', flush=True)

    if chunk.done:
        full_output = "".join(output_buffer)
        # Process complete output
""",
    "timeout_handling": r"""try:
    async for chunk in session.exec_stream("sleep 100", timeout_ms=5000):
        print(chunk.output, end='')
        if chunk.done:
            print(f"Exit: {chunk.exit_code}")
except Exception as e:
    print(f"Error: {e}")
""",
    "interactive_progress_rich": r"""from rich.progress import Progress, SpinnerColumn

with Progress(SpinnerColumn(), *Progress.get_default_columns()) as progress:
    task = progress.add_task("Installing...", total=None)

    async for chunk in session.exec_stream("pip install large-package"):
        if chunk.output:
            progress.update(task, description=chunk.output[:50])

        if chunk.done:
            progress.update(task, completed=True)
""",
    "error_handling": r"""try:
    async for chunk in session.exec_stream("invalid-command"):
        print(chunk.output)
        if chunk.done:
            break
except Exception as e:
    print(f"Stream error: {e}")
""",
    "package_installation": r"""# Show progress
async for chunk in session.exec_stream("pip install tensorflow"):
    print(chunk.output, end='', flush=True)
""",
    "large_downloads": r"""async for chunk in session.exec_stream("wget https://large-file.zip"):
    # Show download progress
    print(chunk.output, end='', flush=True)
""",
    "build_output": r"""async for chunk in session.exec_stream("npm run build"):
    # Stream build output to user
    print(chunk.output, end='', flush=True)
""",
    "log_tailing": r"""async for chunk in session.exec_stream("tail -f /var/log/app.log", timeout_ms=60000):
    print(chunk.output, end='', flush=True)
    if some_condition:
        break  # Stop streaming
""",
    "choose_the_right_mode": r"""# Quick command? Use blocking
result = await session.exec("pwd")

# Long command? Use streaming
async for chunk in session.exec_stream("pip install pandas"):
    print(chunk.output, end='')
""",
    "handle_done_chunks": r"""async for chunk in session.exec_stream("command"):
    if chunk.done:
        # Check exit code, cwd, duration
        if chunk.exit_code != 0:
            raise Exception(f"Command failed: {chunk.exit_code}")
""",
    "set_appropriate_timeouts": r"""# Long-running command
async for chunk in session.exec_stream(
    "pip install large-package",
    timeout_ms=300000  # 5 minutes
):
    ...
""",
    "flush_output": r"""# Ensure real-time display
async for chunk in session.exec_stream("command"):
    print(chunk.output, end='', flush=True)  # ← flush=True
""",
    "troubleshooting_timeout": r"""async for chunk in session.exec_stream("cmd", timeout_ms=120000):
    ...
""",
    "memory_usage": r"""async for chunk in session.exec_stream("command"):
    process_chunk(chunk.output)  # Don't append to buffer
""",
}
