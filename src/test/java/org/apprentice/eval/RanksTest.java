package org.apprentice.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/** Top-k hits: a tie or a NaN never counts for the true class. */
class RanksTest {

    @Test
    void theTrueClassMustStrictlyOutscoreTheOthers() {
        assertEquals(0, Ranks.above(new float[] {0.1f, 0.7f, 0.2f}, 1));
        assertEquals(2, Ranks.above(new float[] {0.1f, 0.7f, 0.2f}, 0));
        assertEquals(1, Ranks.above(new float[] {0.5f, 0.5f, 0.0f}, 0), "a tie counts against the true class");
        assertEquals(2, Ranks.above(new float[] {0.5f, 0.5f, 0.5f}, 2));
        assertEquals(3, Ranks.above(new float[] {Float.NaN, 1f, 2f}, 0), "a NaN score is no score");
        assertEquals(1, Ranks.above(new float[] {1f, Float.NaN, 0f}, 0));
    }

    @Test
    void aCollapsedModelScoresNoHitAtAnyK() {
        // ten classes, every image given the same scores: top-1 and top-5 are 0, not 10% and 100%
        long[] hits = new long[2];
        Ranks.countHits(Nd4j.eye(10), Nd4j.ones(10, 10), hits);
        assertArrayEquals(new long[] {0, 0}, hits);
        Ranks.countHits(Nd4j.eye(3), Nd4j.createFromArray(new float[][] {{3, 2, 1}, {3, 2, 1}, {3, 2, 1}}), hits);
        assertArrayEquals(new long[] {1, 3}, hits, "top-5 of 3 classes is top-3");
    }
}
