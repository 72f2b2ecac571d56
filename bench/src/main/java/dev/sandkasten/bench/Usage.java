package dev.sandkasten.bench;

/**
 * The benches' answer to a command line they cannot run: one line saying what is wrong, the
 * usage, and exit status 2, instead of a stack trace from argument parsing.
 */
final class Usage {
    private final String usage;

    Usage(String usage) {
        this.usage = usage;
    }

    /** Prints {@code problem} (or just the usage, for {@code --help}) and exits. */
    void exit(String problem) {
        if (problem != null) System.err.println(problem);
        (problem == null ? System.out : System.err).println(usage);
        System.exit(problem == null ? 0 : 2);
    }

    /** The value after option {@code args[i]}, or an exit if it is missing. */
    String value(String[] args, int i) {
        if (i + 1 >= args.length) exit(args[i] + " needs a value");
        return args[i + 1];
    }

    /** The whole number after option {@code args[i]}, at least 1, or an exit. */
    int positive(String[] args, int i) {
        String v = value(args, i);
        try {
            int n = Integer.parseInt(v);
            if (n >= 1) return n;
        } catch (NumberFormatException e) {
            // falls through to the message below
        }
        exit(args[i] + " needs a whole number of at least 1, not '" + v + "'");
        return 0;
    }
}
