package dev.sandkasten.text;

/**
 * Removes ANSI escape sequences (CSI such as colours and cursor moves, OSC such as window
 * titles, and the short ESC forms) and turns CRLF into LF, on text that arrives in pieces: a
 * sequence or a CRLF split between two pieces is handled as if it had arrived whole. A lone CR
 * (progress bars) is kept. Not thread-safe.
 */
public final class AnsiCleaner {
    private enum State { TEXT, CR, ESC, ESC_INTERMEDIATE, CSI, STRING, STRING_ESC }

    /** Longest OSC/DCS string swallowed before giving up, so a stray ESC ] cannot eat all output. */
    private static final int MAX_STRING = 4096;

    private State state = State.TEXT;
    private int stringLength;

    /** Whether nothing is held back: the next piece starts in plain text. */
    public boolean idle() {
        return state == State.TEXT;
    }

    /** Cleans a piece; with {@code last}, a held-back CR is released. */
    public String clean(String piece, boolean last) {
        if (state == State.TEXT && nextSpecial(piece, 0) < 0) return piece; // the common case
        StringBuilder out = new StringBuilder(piece.length() + 1);
        int i = 0;
        while (i < piece.length()) {
            if (state == State.TEXT) {
                // Copy plain text in bulk up to the next character that can start something.
                int next = nextSpecial(piece, i);
                int end = next < 0 ? piece.length() : next;
                out.append(piece, i, end);
                i = end;
                if (i == piece.length()) break;
            }
            step(piece.charAt(i++), out);
        }
        if (last) {
            if (state == State.CR) out.append('\r');
            state = State.TEXT;
        }
        return out.toString();
    }

    private void step(char c, StringBuilder out) {
        switch (state) {
            case TEXT -> text(c, out);
            case CR -> {
                state = State.TEXT;
                if (c == '\n') {
                    out.append('\n');
                } else {
                    out.append('\r');
                    text(c, out);
                }
            }
            case ESC -> {
                if (c == '[') {
                    state = State.CSI;
                } else if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_') {
                    state = State.STRING;
                    stringLength = 0;
                } else if (c >= 0x20 && c <= 0x2F) {
                    state = State.ESC_INTERMEDIATE;
                } else {
                    state = State.TEXT; // two-character sequence such as ESC = or ESC 7
                }
            }
            case ESC_INTERMEDIATE -> {
                if (c < 0x20 || c > 0x2F) state = State.TEXT; // the final byte ends it, e.g. ESC ( B
            }
            case CSI -> {
                if (c >= 0x40 && c <= 0x7E) {
                    state = State.TEXT;
                } else if (c < 0x20 || c > 0x3F) {
                    state = State.TEXT; // not a valid CSI: drop the introducer, keep the text
                    text(c, out);
                }
            }
            case STRING -> {
                if (c == 0x07) {
                    state = State.TEXT;
                } else if (c == 0x1B) {
                    state = State.STRING_ESC;
                } else if (++stringLength > MAX_STRING) {
                    state = State.TEXT;
                }
            }
            case STRING_ESC -> {
                if (c == '\\') {
                    state = State.TEXT;
                } else {
                    state = State.STRING;
                }
            }
        }
    }

    /** Index of the next ESC, CR or C1 CSI at or after {@code from}, or -1; String.indexOf is vectorized. */
    private static int nextSpecial(String s, int from) {
        int best = -1;
        for (char c : SPECIAL) {
            int i = s.indexOf(c, from);
            if (i >= 0 && (best < 0 || i < best)) best = i;
        }
        return best;
    }

    private static final char[] SPECIAL = {0x1B, '\r', '\u009B'};

    private void text(char c, StringBuilder out) {
        if (c == 0x1B) {
            state = State.ESC;
        } else if (c == '\r') {
            state = State.CR;
        } else if (c == '\u009B') {
            state = State.CSI;
        } else {
            out.append(c);
        }
    }
}
