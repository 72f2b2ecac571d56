/**
 * Java client for the Sandkasten daemon. Start with {@link dev.sandkasten.client.SandboxClient#builder()},
 * create a {@link dev.sandkasten.client.Session}, and run commands with
 * {@link dev.sandkasten.client.Session#exec(String)} (blocking, returns an
 * {@link dev.sandkasten.client.ExecResult}), {@link dev.sandkasten.client.Session#execStream(String)}
 * (output as it is written, as {@link dev.sandkasten.client.ExecChunk}s, resuming after a lost
 * connection) or {@link dev.sandkasten.client.Session#execBackground(String)} (an
 * {@link dev.sandkasten.client.ExecHandle}). Files live in {@link dev.sandkasten.client.SandboxFiles},
 * of a session or of a persistent {@link dev.sandkasten.client.Workspace}. Errors are unchecked
 * {@link dev.sandkasten.client.SandkastenException} subtypes. Depends only on {@code java.net.http}
 * and Jackson.
 */
package dev.sandkasten.client;
