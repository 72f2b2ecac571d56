/**
 * Assembles the daemon by hand: the process's futex hash, settings, prerequisites, the API key,
 * cgroups, the sandbox root files, sessions and the HTTP server, in that order, and takes them
 * down in reverse. Also the host checks of {@code doctor}.
 */
package dev.sandkasten.daemon;
