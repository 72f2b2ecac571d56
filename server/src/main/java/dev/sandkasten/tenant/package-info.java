/**
 * Tenants: who a request acts for. Each API key belongs to one tenant; a tenant sees and touches
 * only its own sessions and workspaces, within its quotas, and an admin tenant sees all. Only
 * SHA-256 digests of keys are kept (keys are long random strings, so a fast digest is enough).
 */
package dev.sandkasten.tenant;
