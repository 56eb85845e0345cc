package org.apprentice.eval;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Where the true class ranks among a classifier's scores, strictly: a class that scores as high as the true
 * one, or a NaN score, counts against it. So a collapsed model (every score equal) or a diverged one (NaN)
 * scores no hit at any k, where a first-index tie-break would give top-1 1/C and top-5 5/C or 100%.
 */
public final class Ranks {
    private Ranks() {
    }

    /** How many classes rank at or above the true class (0 for a strict winner); C when its own score is NaN. */
    public static int above(float[] scores, int truth) {
        float t = scores[truth];
        if (Float.isNaN(t)) {
            return scores.length;
        }
        int above = 0;
        for (int j = 0; j < scores.length; j++) {
            if (j != truth && (scores[j] >= t || Float.isNaN(scores[j]))) {
                above++;
            }
        }
        return above;
    }

    /** Adds this minibatch's top-1 hits to {@code hits[0]} and top-5 hits to {@code hits[1]}. */
    public static void countHits(INDArray oneHot, INDArray scores, long[] hits) {
        float[][] z = scores.castTo(DataType.FLOAT).toFloatMatrix();
        int[] truth = oneHot.argMax(1).toIntVector();
        for (int i = 0; i < z.length; i++) {
            int above = above(z[i], truth[i]);
            hits[0] += above < 1 ? 1 : 0;
            hits[1] += above < 5 ? 1 : 0;
        }
    }
}
