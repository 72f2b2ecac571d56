/**
 * Turning command output bytes into text for clients, incrementally: UTF-8 decoding that never
 * breaks a character split across reads, removal of ANSI escape sequences and CRLF that works on
 * a stream (a sequence may be split across chunks), and a head-and-tail buffer that caps the
 * output of a blocking exec while keeping both ends.
 */
package dev.sandkasten.text;
