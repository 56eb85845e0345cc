package org.apprentice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code bench --ops} times both convolution backward routes at each shape, batch norm's Java sweeps on 1 and 2
 * threads at each shape, and the batch norm and ReLU passes.
 */
class OpBenchmarkTest {
    @Test
    void timesEveryOpOnce() {
        List<OpBenchmark.Row> rows = OpBenchmark.run(0, 1);
        assertEquals(22, rows.size());
        assertEquals(4, rows.stream().filter(r -> r.op().equals("batch norm's four Java sweeps, 2 threads")).count());
        assertEquals(5, rows.stream().filter(r -> r.op().equals("conv2d_bp")).count());
        assertEquals(5, rows.stream().filter(r -> r.op().startsWith("deconv2d")).count());
        assertTrue(rows.stream().allMatch(r -> r.milliseconds() > 0), rows.toString());
    }
}
