/** The benchmark command behind {@code ./sandkasten bench}: a real daemon, a raw HTTP client, printed figures. */
package dev.sandkasten.bench;
