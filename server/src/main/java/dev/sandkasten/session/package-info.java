/**
 * Sessions: their ids, leases and life cycle. A session owns one {@link
 * dev.sandkasten.exec.SessionShell}; the {@link dev.sandkasten.session.SessionManager} creates
 * them, finds them, extends their lease on every exec, destroys them on request, and reaps the
 * expired ones. Destroying a session kills every process in it and removes its cgroups and
 * directories.
 */
package dev.sandkasten.session;
