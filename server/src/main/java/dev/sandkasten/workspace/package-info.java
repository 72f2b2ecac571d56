/**
 * Persistent workspaces: directories that outlive sessions, one store per tenant, each workspace
 * bound at /workspace by the sessions created with its id. With disk quotas on, each new
 * workspace is a subvolume of the {@link dev.sandkasten.sandbox.DiskVolume} with the quota.
 */
package dev.sandkasten.workspace;
