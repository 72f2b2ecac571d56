package dev.sandkasten.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the cgroup hierarchies of this host are mounted. Two layouts exist in the wild and both
 * are supported: pure v2 (one tree with every controller) and hybrid (v1 controllers, each in its
 * own tree, plus a controller-less v2 tree used here only to freeze and kill process trees).
 */
public sealed interface CgroupLayout {

    /** The cgroup2 tree in which session and command groups are created for freezing and killing. */
    Path killTreeRoot();

    String describe();

    /** Pure cgroup v2: limits and kill groups live in the same tree. */
    record V2(Path root) implements CgroupLayout {
        @Override public Path killTreeRoot() { return root; }
        @Override public String describe() { return "cgroup v2 at " + root; }
    }

    /** Hybrid: v1 controllers for limits and accounting, a v2 tree for freezing and killing. */
    record Hybrid(Path unified, Path memory, Path pids, Path cpu, Path cpuacct) implements CgroupLayout {
        @Override public Path killTreeRoot() { return unified; }
        @Override public String describe() {
            return "cgroup v1 controllers (memory " + memory + ", pids " + pids + ", cpu " + cpu
                    + ", cpuacct " + cpuacct + ") with a v2 kill tree at " + unified;
        }
    }

    /** Reads {@code /proc/self/mountinfo} and picks the layout, or explains what is missing. */
    static CgroupLayout detect() {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/self/mountinfo"));
        } catch (IOException e) {
            throw new CgroupException("cannot read /proc/self/mountinfo", e);
        }
        Path v2 = null;
        Map<String, Path> v1 = new HashMap<>();
        for (String line : lines) {
            // Fields: id parent major:minor root mountpoint options [optional...] - fstype source superoptions
            String[] halves = line.split(" - ", 2);
            if (halves.length != 2) continue;
            String[] left = halves[0].split(" ");
            String[] right = halves[1].split(" ");
            if (left.length < 5 || right.length < 3) continue;
            Path mountPoint = Path.of(left[4].replace("\\040", " "));
            if (right[0].equals("cgroup2")) {
                if (v2 == null || mountPoint.equals(Path.of("/sys/fs/cgroup"))) v2 = mountPoint;
            } else if (right[0].equals("cgroup")) {
                for (String opt : right[2].split(",")) {
                    if (List.of("memory", "pids", "cpu", "cpuacct").contains(opt)) v1.putIfAbsent(opt, mountPoint);
                }
            }
        }
        if (v2 == null) {
            throw new CgroupException("no cgroup2 hierarchy is mounted; Sandkasten needs one (pure cgroup v2, "
                    + "or the hybrid layout with /sys/fs/cgroup/unified) to kill command trees reliably");
        }
        if (v1.containsKey("memory")) {
            for (String c : List.of("pids", "cpu", "cpuacct")) {
                if (!v1.containsKey(c)) throw new CgroupException("cgroup v1 controller '" + c + "' is not mounted");
            }
            return new Hybrid(v2, v1.get("memory"), v1.get("pids"), v1.get("cpu"), v1.get("cpuacct"));
        }
        return new V2(v2);
    }
}
