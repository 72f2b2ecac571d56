package dev.sandkasten.session;

import dev.sandkasten.exec.SessionShell;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sandboxes started ahead of need, a few per image, so that creating a session is handing one
 * out rather than starting one (bubblewrap, namespaces, the shell: ~20 ms). A pooled sandbox is
 * exactly what a cold create would make for a request without {@code env}, {@code workspace_id}
 * or network: its id is drawn when it starts and never shown before it is handed out, its
 * workspace is empty and its shell has run nothing. Handing one out starts a replacement in the
 * background. A pooled sandbox that dies while it waits is thrown away, never handed out.
 */
final class WarmPool implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WarmPool.class);

    /** A started sandbox and the session id it was started under. */
    record Warm(String id, SessionShell shell) {}

    private final int size;
    private final Function<String, Warm> starter;
    private final Consumer<Warm> discarder;
    private final Map<String, ConcurrentLinkedQueue<Warm>> ready = new ConcurrentHashMap<>();
    /**
     * How long hand-outs must pause before replacements start. Starting a sandbox takes both
     * cores for a moment on a small host; started at once, it competed with the answers to the
     * very requests that took the sandboxes (5 ms instead of about 1 ms).
     */
    private static final long REFILL_DELAY_MS = 20;
    private final java.util.concurrent.ScheduledExecutorService refiller =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("sk-warm-pool").factory());
    private final Map<String, java.util.concurrent.ScheduledFuture<?>> pendingRefills = new java.util.HashMap<>();
    private volatile boolean closed;

    /**
     * @param images the image names to keep sandboxes of
     * @param size sandboxes kept ready per image
     * @param starter starts a sandbox of an image (throws if it cannot)
     * @param discarder ends a sandbox that will not be handed out
     */
    WarmPool(List<String> images, int size, Function<String, Warm> starter, Consumer<Warm> discarder) {
        this.size = size;
        this.starter = starter;
        this.discarder = discarder;
        for (String image : images) {
            ready.put(image, new ConcurrentLinkedQueue<>());
            refiller.execute(() -> fill(image));
        }
    }

    /** A ready sandbox of the image, if the pool has one; starts its replacement either way. */
    Optional<Warm> take(String image) {
        ConcurrentLinkedQueue<Warm> q = ready.get(image);
        if (q == null) return Optional.empty();
        try {
            for (Warm w; (w = q.poll()) != null; ) {
                if (!w.shell().lost().isDone()) return Optional.of(w);
                discarder.accept(w);
            }
            return Optional.empty();
        } finally {
            refillAfterQuiet(image);
        }
    }

    /**
     * Schedules the refill for when hand-outs have paused for {@link #REFILL_DELAY_MS}: a burst of
     * creates is answered from the pool without sandboxes starting beside each answer.
     */
    private void refillAfterQuiet(String image) {
        synchronized (pendingRefills) {
            java.util.concurrent.ScheduledFuture<?> before = pendingRefills.get(image);
            if (before != null) before.cancel(false);
            try {
                pendingRefills.put(image, refiller.schedule(() -> fill(image), REFILL_DELAY_MS,
                        java.util.concurrent.TimeUnit.MILLISECONDS));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closed meanwhile: nothing to refill
            }
        }
    }

    /** Sandboxes ready now, all images together. */
    int readyCount() {
        return ready.values().stream().mapToInt(ConcurrentLinkedQueue::size).sum();
    }

    /**
     * Starts sandboxes until the image has {@link #size} ready. Runs on the single refiller thread
     * only, so fills never overlap; every hand-out schedules one, so none is missed.
     */
    private void fill(String image) {
        ConcurrentLinkedQueue<Warm> q = ready.get(image);
        try {
            while (!closed && q.size() < size) {
                Warm w = starter.apply(image);
                if (closed) {
                    discarder.accept(w);
                    return;
                }
                q.add(w);
            }
        } catch (RuntimeException e) {
            // Cold creates still work; the next hand-out tries again.
            log.warn("warm pool: could not start a sandbox of image {}: {}", image, e.getMessage());
        }
    }

    /** Stops refilling and ends every waiting sandbox. */
    @Override
    public void close() {
        closed = true;
        refiller.shutdown();
        try {
            refiller.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (ConcurrentLinkedQueue<Warm> q : ready.values()) {
            for (Warm w; (w = q.poll()) != null; ) discarder.accept(w);
        }
    }
}
