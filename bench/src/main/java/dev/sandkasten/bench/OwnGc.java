package dev.sandkasten.bench;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;

/**
 * The load generator's own garbage-collection pauses: a pause here delays every line the bench
 * receives meanwhile and would be counted as the daemon's latency, so the figures say how much
 * of it there was. With ZGC (which {@code ./sandkasten bench} uses) only the beans named
 * "... Pauses" count stop-the-world time; with other collectors every bean does.
 */
record OwnGc(long pauses, long millis) {

    static OwnGc now() {
        long pauses = 0;
        long millis = 0;
        var beans = ManagementFactory.getGarbageCollectorMXBeans();
        boolean pauseBeans = beans.stream().anyMatch(b -> b.getName().endsWith("Pauses"));
        for (GarbageCollectorMXBean b : beans) {
            if (pauseBeans && !b.getName().endsWith("Pauses")) continue;
            pauses += Math.max(0, b.getCollectionCount());
            millis += Math.max(0, b.getCollectionTime());
        }
        return new OwnGc(pauses, millis);
    }

    /** What happened since {@code before}, for the report. */
    String since(OwnGc before) {
        return String.format("%d pauses, %d ms in all (%s)", pauses - before.pauses, millis - before.millis,
                ManagementFactory.getGarbageCollectorMXBeans().getFirst().getName().split(" ")[0]);
    }
}
