package dev.sandkasten.files;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A client's path checked and normalised to an absolute path at or below {@code /workspace}, the
 * only area file routes reach. This is a lexical check for clear errors; the safety against
 * symlinks comes from doing the I/O in a helper whose whole filesystem view is the workspace
 * (see {@link dev.sandkasten.sandbox.FileHelper}).
 */
public final class FilePath {
    public static final String ROOT = "/workspace";
    private static final int MAX_CHARS = 4096;

    private FilePath() {}

    /** The normalised inner path; relative paths are relative to /workspace. */
    public static String normalise(String path) {
        if (path == null || path.isEmpty()) throw invalid("path is required");
        if (path.length() > MAX_CHARS) throw invalid("path is longer than " + MAX_CHARS + " characters");
        if (path.indexOf('\0') >= 0) throw invalid("path must not contain NUL characters");
        String rest;
        if (path.startsWith("/")) {
            if (!path.equals(ROOT) && !path.startsWith(ROOT + "/")) {
                throw invalid("absolute paths must be inside " + ROOT + " (got " + abbreviate(path) + ")");
            }
            rest = path.substring(ROOT.length());
        } else {
            rest = path;
        }
        Deque<String> parts = new ArrayDeque<>();
        for (String part : rest.split("/")) {
            if (part.isEmpty() || part.equals(".")) continue;
            if (part.equals("..")) {
                if (parts.isEmpty()) throw invalid("path " + abbreviate(path) + " leads outside " + ROOT);
                parts.removeLast();
            } else {
                parts.addLast(part);
            }
        }
        return parts.isEmpty() ? ROOT : ROOT + "/" + String.join("/", parts);
    }

    private static FileException invalid(String message) {
        return new FileException(FileException.Reason.INVALID, message);
    }

    static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
