package dev.sandkasten.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ByteSizeTest {
    @Test
    void unitsAreBinaryMultiplesWhateverTheirSpelling() {
        assertThat(ByteSize.parse("1048576")).hasValue(1048576);
        assertThat(ByteSize.parse("512m")).hasValue(512L << 20);
        assertThat(ByteSize.parse(" 1GiB ")).hasValue(1L << 30);
        assertThat(ByteSize.parse("2 TB")).hasValue(2L << 40);
        assertThat(ByteSize.parse("8kb")).hasValue(8192);
        assertThat(ByteSize.parse("0")).hasValue(0);
    }

    @Test
    void anythingElseOrTooBigForALongIsNoSize() {
        for (String bad : new String[] {"", "m", "-1", "1.5g", "1 PB", "ten", "99999999999999999999", "9223372036854775808",
                "8388608t"}) {
            assertThat(ByteSize.parse(bad)).as(bad).isEqualTo(OptionalLong.empty());
        }
        assertThat(ByteSize.parse(null)).isEmpty();
        assertThat(ByteSize.parse("8388607t")).hasValue(8388607L << 40);
    }
}
