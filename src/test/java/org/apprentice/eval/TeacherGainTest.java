package org.apprentice.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The teacher's gain over its control, counted in test images and read against the runs' last swing. */
class TeacherGainTest {
    private static Accuracy top1(double top1) {
        return new Accuracy(top1, 1.0, 10_000);
    }

    @Test
    void theGainIsReadAgainstTheLargerLastSwing() {
        // control 86.96% (moved 0.30 in its last epoch), apprentice 86.70% (moved 1.18): -26 images within 118
        TeacherGain within = TeacherGain.of(top1(0.8696), top1(0.8670), List.of(0.8666, 0.8696),
                List.of(0.8552, 0.8670));
        assertEquals(-26, within.gain());
        assertEquals(118, within.swing());
        assertTrue(within.withinSwing());
        assertTrue(within.verdict().startsWith("Within that swing"), within.verdict());
        // +150 images against a swing of 30: beyond it, both ways
        TeacherGain beyond = TeacherGain.of(top1(0.80), top1(0.815), List.of(0.797, 0.80), List.of(0.813, 0.815));
        assertEquals(150, beyond.gain());
        assertEquals(30, beyond.swing());
        assertTrue(beyond.verdict().startsWith("Beyond that swing: the teacher helped"), beyond.verdict());
        TeacherGain worse = TeacherGain.of(top1(0.815), top1(0.80), List.of(0.813, 0.815), List.of(0.797, 0.80));
        assertTrue(worse.verdict().contains("did not help"), worse.verdict());
        // a gain equal to the swing is within it
        assertTrue(TeacherGain.of(top1(0.80), top1(0.803), List.of(0.80, 0.80), List.of(0.80, 0.803)).withinSwing());
    }

    @Test
    void oneEpochHasNoSwing() {
        assertThrows(IllegalArgumentException.class, () -> TeacherGain.of(top1(0.8), top1(0.8), List.of(0.8),
                List.of(0.7, 0.8)));
    }
}
