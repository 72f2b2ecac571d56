package dev.sandkasten.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one file operation on a workspace in a throwaway bubblewrap sandbox of its own, as the
 * sandbox uid. Its mount namespace holds nothing but a read-only {@code /usr} (for the tools) and
 * the workspace at {@code /workspace}, so every path, {@code ..} and symlink the session may have
 * planted resolves inside that view: a link to {@code /etc/passwd}, the daemon's data directory or
 * another session's workspace points at nothing there, however the session races. The daemon
 * itself never opens a path inside a workspace.
 */
public final class FileHelper {
    /** Exit status of the helper script for a missing path. */
    public static final int MISSING = 3;
    /** Exit status for a path of the wrong kind (a directory where a file is needed, or the reverse). */
    public static final int WRONG_KIND = 4;

    // $1 = operation, $2 = path inside /workspace, $3 = operation argument. A write goes to a
    // temporary file beside the target ($3 names it), renamed over the target once its input
    // ends, so an upload that fails (a full workspace, a client gone) leaves the old file as it
    // was; the daemon kills a write it gives up before ending its input, once the helper has said
    // "ready" (then its processes exist to be killed). A symlink is written through, as before. kind: d directory,
    // f regular file, o other existing, x dangling symlink (its target is missing, or outside the
    // helper's view, which is the same thing), - missing. Type checks come
    // first so a FIFO or a directory never blocks or confuses cat; a session swapping them in
    // between only hurts its own request (the daemon bounds every helper's run time).
    private static final String SCRIPT = """
            op=$1; p=$2
            kind() { if [ -d "$p" ]; then echo d; elif [ -f "$p" ]; then echo f; elif [ -e "$p" ]; then echo o; elif [ -L "$p" ]; then echo x; else echo -; fi; }
            k=$(kind)
            case $op in
            write)
              if [ -L "$p" ]; then p=$(readlink -f -- "$p") || exit 1; k=$(kind); fi
              case $k in d|o) exit 4;; esac
              d=$(dirname -- "$p")
              if [ -e "$d" ] && [ ! -d "$d" ]; then exit 4; fi
              mkdir -p -- "$d" || exit 1
              t="$d/$3"
              echo ready
              if cat > "$t"; then
                if [ -f "$p" ]; then chmod --reference="$p" -- "$t"; fi
                exec mv -f -- "$t" "$p"
              fi
              rm -f -- "$t"; exit 1;;
            read)
              case $k in -|x) exit 3;; d|o) exit 4;; esac
              exec 3< "$p" || exit 3
              n=$(stat -L -c %s /proc/self/fd/3) || exit 1
              echo "$n"
              exec head -c "${3:-$n}" <&3;;
            stat)
              case $k in -) exit 3;; esac
              exec find -H "$p" -maxdepth 0 -printf '%y\\t%s\\t%T@\\t%m\\t%f\\0';;
            list)
              case $k in -|x) exit 3;; f|o) exit 4;; esac
              exec find -H "$p" -mindepth 1 -maxdepth 1 -printf '%y\\t%s\\t%T@\\t%m\\t%f\\0';;
            mkdir)
              case $k in f|o) exit 4;; esac
              exec mkdir -p -- "$p";;
            delete)
              case $k in -) exit 3;; esac
              exec rm -rf -- "$p";;
            esac
            exit 2
            """;

    private final int hostUid;
    private final String bwrap;
    private final String setpriv;

    public FileHelper(SandboxSettings settings, String bwrap, String setpriv) {
        this.hostUid = settings.hostUid();
        this.bwrap = bwrap;
        this.setpriv = setpriv;
    }

    /**
     * Starts the helper for one operation on the workspace at {@code hostWorkspace}. The caller
     * feeds stdin / reads stdout, and must wait for or destroy the process.
     *
     * @param op one of write, read, stat, list, mkdir, delete
     * @param innerPath an absolute, normalised path at or below /workspace
     * @param arg the operation's argument (read: the byte limit, "" for the size found at open; write: the
     *     name of the temporary file beside the target), or ""
     */
    public Process start(Path hostWorkspace, String op, String innerPath, String arg) throws IOException {
        List<String> c = new ArrayList<>(List.of(
                setpriv, "--reuid=" + hostUid, "--regid=" + hostUid, "--clear-groups", "--no-new-privs", "--",
                bwrap,
                "--unshare-all", "--unshare-user",
                "--uid", Integer.toString(SandboxSettings.INNER_UID), "--gid", Integer.toString(SandboxSettings.INNER_UID),
                // No --die-with-parent: it fires when the forking thread ends, and requests run on
                // virtual threads whose carriers come and go. The daemon bounds and kills helpers itself.
                "--new-session", "--cap-drop", "ALL",
                "--ro-bind", "/usr", "/usr"));
        for (String dir : List.of("bin", "lib", "lib32", "lib64", "libx32", "sbin")) {
            Path host = Path.of("/" + dir);
            if (Files.isSymbolicLink(host)) {
                c.addAll(List.of("--symlink", "usr/" + dir, "/" + dir));
            } else if (Files.isDirectory(host)) {
                c.addAll(List.of("--ro-bind", host.toString(), "/" + dir));
            }
        }
        c.addAll(List.of(
                "--proc", "/proc",
                "--dev", "/dev",
                "--bind", hostWorkspace.toString(), "/workspace",
                "--remount-ro", "/",
                "--chdir", "/workspace",
                "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "LC_ALL", "C.UTF-8",
                "/bin/sh", "-c", SCRIPT, "sk-files", op, innerPath, arg));
        ProcessBuilder pb = new ProcessBuilder(c);
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        pb.directory(new java.io.File("/"));
        return pb.start();
    }
}
