package dev.sandkasten.api;

import dev.sandkasten.exec.ExecRequest;
import dev.sandkasten.text.TextEncoder;

/**
 * How one client wants a command's output: text or base64, cleaned or raw, and the largest
 * payload of one event. Kept with the command so a client that attaches later gets the same.
 */
record StreamFormat(TextEncoder.Encoding encoding, boolean raw, int chunkSize) {
    static StreamFormat of(ExecRequest.OutputFormat f) {
        return new StreamFormat(f.base64() ? TextEncoder.Encoding.BASE64 : TextEncoder.Encoding.UTF8, f.raw(), f.chunkSize());
    }

    ExecRequest.OutputFormat toOutputFormat() {
        return new ExecRequest.OutputFormat(raw, encoding == TextEncoder.Encoding.BASE64, chunkSize);
    }
}
