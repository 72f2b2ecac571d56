/**
 * The HTTP API on Helidon SE: routing, bearer-key authentication, request parsing with clear
 * 4xx errors, and the blocking and Server-Sent-Events exec endpoints. Handlers are plain blocking
 * code on virtual threads; this package talks to the session layer only.
 */
package dev.sandkasten.api;
