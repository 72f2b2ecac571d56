/**
 * Assembles the daemon by hand: settings, prerequisites, the API key, cgroups, the sandbox root
 * files, sessions and the HTTP server, in that order, and takes them down in reverse.
 */
package dev.sandkasten.daemon;
