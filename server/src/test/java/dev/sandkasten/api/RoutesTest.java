package dev.sandkasten.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RoutesTest {
    @Test
    void templatesMatchOneSegmentPerParameterAndNothingElse() {
        var p = Routes.compile("/v1/sessions/{id}/execs/{execId}");
        assertThat(p.matcher("/v1/sessions/sb_1/execs/ex_2").matches()).isTrue();
        assertThat(p.matcher("/v1/sessions/sb_1/execs/ex_2/stream").matches()).isFalse();
        assertThat(p.matcher("/v1/sessions/a/b/execs/ex_2").matches()).isFalse();
        assertThat(p.matcher("/v1/sessions//execs/ex_2").matches()).isFalse();
        // Template text is literal, not a regular expression.
        assertThat(Routes.compile("/v1/a.b").matcher("/v1/aXb").matches()).isFalse();
    }
}
