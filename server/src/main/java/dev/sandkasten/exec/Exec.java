package dev.sandkasten.exec;

import java.util.concurrent.CompletableFuture;

/**
 * One submitted command: its id, its output log and, once it has ended, its outcome. Created by
 * {@link SessionShell#submit}; readers consume {@link #output()} and then read {@link #outcome()}.
 */
public final class Exec {
    private final String id;
    private final ExecRequest request;
    private final ExecOutput output;
    private final CompletableFuture<ExecOutcome> outcome = new CompletableFuture<>();
    private final CompletableFuture<String> cancel = new CompletableFuture<>();

    Exec(String id, ExecRequest request, ExecOutput output) {
        this.id = id;
        this.request = request;
        this.output = output;
    }

    public String id() {
        return id;
    }

    public ExecRequest request() {
        return request;
    }

    public ExecOutput output() {
        return output;
    }

    /** Completes when the command has ended and its output log is finished. */
    public CompletableFuture<ExecOutcome> outcome() {
        return outcome;
    }

    /** Asks for the command to be killed (or dropped from the queue); idempotent. */
    public void cancel(String reason) {
        cancel.complete(reason);
    }

    CompletableFuture<String> cancelRequest() {
        return cancel;
    }

    public boolean isDone() {
        return outcome.isDone();
    }
}
