package dev.sandkasten.bench;

import java.util.Arrays;
import java.util.Collection;

/** The median, 99th percentile and maximum of a set of samples in milliseconds. */
record Percentiles(double p50, double p99, double max, int n) {

    static Percentiles of(Collection<Double> ms) {
        double[] s = ms.stream().mapToDouble(Double::doubleValue).toArray();
        return of(s, s.length);
    }

    /** Of the first {@code n} values of {@code ms}, which this sorts in place. */
    static Percentiles of(double[] ms, int n) {
        if (n == 0) throw new IllegalArgumentException("no samples");
        Arrays.sort(ms, 0, n);
        return new Percentiles(ms[n / 2], ms[Math.min(n - 1, (int) Math.ceil(n * 0.99) - 1)], ms[n - 1], n);
    }

    static void print(String what, Percentiles p) {
        System.out.printf("%-40s p50 %7.2f ms   p99 %7.2f ms   max %8.2f ms   (n=%d)%n", what, p.p50, p.p99, p.max, p.n);
    }
}
