/**
 * Linux control groups for sessions and commands: resource limits (memory, pids, CPU) per
 * session, and one kill group per command so that a timeout can kill a command's whole process
 * tree, {@code setsid} children included, while the session's shell survives. Supports the pure
 * cgroup v2 layout and the hybrid layout (v1 controllers plus a controller-less v2 tree); the
 * layout is detected once at start.
 */
package dev.sandkasten.cgroup;
