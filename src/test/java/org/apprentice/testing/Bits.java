package org.apprentice.testing;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Bit patterns of numbers, for tests that claim the same values to the bit: the sign of zero included. */
public final class Bits {
    private Bits() {
    }

    /** The raw bits of each value of a FLOAT array, in its order. */
    public static int[] of(INDArray floats) {
        float[] f = floats.data().asFloat();
        int[] out = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = Float.floatToRawIntBits(f[i]);
        }
        return out;
    }

    /** The raw bits of each value. */
    public static long[] of(double[] values) {
        long[] out = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Double.doubleToRawLongBits(values[i]);
        }
        return out;
    }
}
