/**
 * Bubblewrap sandboxes: the generated minimal {@code /etc}, the images a session can start from,
 * and the launcher that puts a new sandbox into its control groups, drops to an unprivileged host
 * uid and starts the session's shell supervisor inside every namespace bubblewrap can unshare.
 * What sandboxes write goes to the {@link dev.sandkasten.sandbox.DiskVolume}, one subvolume
 * with the disk quota per session.
 * This package knows nothing about commands or HTTP; it hands back a running {@link
 * dev.sandkasten.sandbox.Sandbox} with pipes to its shell.
 */
package dev.sandkasten.sandbox;
