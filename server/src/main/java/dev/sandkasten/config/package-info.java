/**
 * Daemon settings: built-in defaults, overridden by a YAML file, then by {@code SANDKASTEN_*}
 * environment variables, then by command-line flags. Every setting has one snake_case key, and
 * its environment variable is that key in upper case behind {@code SANDKASTEN_}.
 */
package dev.sandkasten.config;
