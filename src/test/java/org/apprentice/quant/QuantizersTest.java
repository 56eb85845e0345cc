package org.apprentice.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Each quantizer's forward against hand-computed values, run three ways from its one definition (as
 * SameDiff ops, on arrays with copies, on arrays in place), and its STE gradient, from SameDiff's
 * differentiation of the straight-through form, against the expected one. Exact comparisons.
 */
public class QuantizersTest {

    private static INDArray vec(double... values) {
        return Nd4j.createFromArray(values);
    }

    /** q(x) by every route; all must equal {@code expected} exactly. */
    private static void assertQuantizes(Quantizer q, INDArray x, INDArray expected) {
        assertEquals(expected, QuantizerRunner.of(q, x).quantize(x), q.describe() + " as SameDiff ops");
        INDArray before = x.dup();
        assertEquals(expected, q.quantize(ArrayOps.COPYING, x), q.describe() + " on arrays");
        assertEquals(before, x, "the copying route must leave its input alone");
        if (q.inPlaceSafe()) {
            assertEquals(expected, q.quantize(ArrayOps.IN_PLACE, x.dup()), q.describe() + " in place");
        }
    }

    /** The STE gradient for upstream gradient (1, 2, 3, ...) equals upstream * mask exactly. */
    private static void assertSteGradient(Quantizer q, INDArray x, INDArray mask) {
        INDArray upstream = Nd4j.linspace(DataType.DOUBLE, 1, x.length(), 1).reshape(x.shape());
        assertEquals(upstream.mul(mask), QuantizerRunner.of(q, x).gradient(x, upstream), q.describe() + " STE");
        INDArray arrayMask = q.steMask(ArrayOps.COPYING, x);
        if (arrayMask != null) {
            assertEquals(mask, arrayMask, "mask on arrays");
            assertEquals(mask, q.steMask(ArrayOps.IN_PLACE, x.dup()), "mask in place");
        }
    }

    // ---- ternary (TWN)

    @Test
    void ternaryThresholdsAtSevenTenthsOfMeanMagnitudeAndScalesByMeanOfSurvivors() {
        // mean|w| = 1.6875/5 = 0.3375, Δ = 0.23625: 0.5 and -1.0 survive, α = 0.75
        INDArray w = vec(0.5, -0.125, 0.0625, -1.0, 0.0);
        TernaryWeights t = new TernaryWeights();
        assertQuantizes(t, w, vec(0.75, 0, 0, -0.75, 0));
        assertEquals(vec(1, 0, 0, -1, 0), QuantizerRunner.of(t, w).codes(w));
        assertEquals(vec(1, 0, 0, -1, 0), t.codes(ArrayOps.COPYING, w));
        assertEquals(0.75, QuantizerRunner.of(t, w).scale(w).getDouble(0));
        assertEquals(0.75, t.scale(ArrayOps.COPYING, w).getDouble(0));
        assertSteGradient(t, w, Nd4j.onesLike(w));
    }

    @Test
    void ternaryThresholdIsStrict() {
        // factor 0.5: mean|w| = 2, Δ = 1, and |1| = Δ is not above it
        TernaryWeights t = new TernaryWeights(0.5);
        assertQuantizes(t, vec(3.0, -1.0), vec(3.0, 0.0));
    }

    @Test
    void ternaryOfAllZerosIsZeroWithZeroScale() {
        TernaryWeights t = new TernaryWeights();
        INDArray zeros = Nd4j.zeros(DataType.DOUBLE, 2, 3);
        assertQuantizes(t, zeros, zeros.dup());
        assertEquals(0.0, t.scale(ArrayOps.COPYING, zeros).getDouble(0));
        assertEquals(0.0, QuantizerRunner.of(t, zeros).scale(zeros).getDouble(0));
    }

    @Test
    void ternaryOfOneWeightKeepsIt() {
        TernaryWeights t = new TernaryWeights();
        assertQuantizes(t, vec(-0.3), vec(-0.3));
        assertSteGradient(t, vec(-0.3), vec(1.0));
    }

    @Test
    void ternaryOnAConvolutionKernelHasThreeValues() {
        Nd4j.getRandom().setSeed(1);
        INDArray w = Nd4j.randn(DataType.DOUBLE, 8, 4, 3, 3);
        INDArray q = new TernaryWeights().quantize(ArrayOps.COPYING, w);
        assertEquals(3, distinct(q));
        assertEquals(QuantizerRunner.of(new TernaryWeights(), w).quantize(w), q);
    }

    // ---- k-bit weights

    @Test
    void kBitPerLayerScalesByMaxMagnitudeAndRoundsHalfToEven() {
        // 4 bits: n = 7; s = 2; w/s*7 = 3.5, -3.5, 0.7, -7, 0 -> 4, -4, 1, -7, 0; q = codes * 2/7
        KBitWeights k = new KBitWeights(4);
        INDArray w = vec(1.0, -1.0, 0.2, -2.0, 0.0);
        INDArray codes = vec(4, -4, 1, -7, 0);
        assertQuantizes(k, w, codes.mul(2.0 / 7));
        assertEquals(codes, QuantizerRunner.of(k, w).codes(w));
        assertEquals(codes, k.codes(ArrayOps.COPYING, w));
        assertEquals(2.0 / 7, k.scale(ArrayOps.COPYING, w).getDouble(0));
        assertSteGradient(k, w, Nd4j.onesLike(w));
    }

    @Test
    void kBitWrpnRuleClipsAndRoundsSmallWeightsToZero() {
        // raw WRPN at 4 bits: steps of 1/7; 0.05 and -0.02 become 0, 1.5 and -3 clip to ±1
        KBitWeights wrpn = new KBitWeights(4, KBitWeights.Scaling.NONE, true);
        INDArray w = vec(0.05, -0.02, 1.5, -3.0, 0.5);
        assertQuantizes(wrpn, w, vec(0, 0, 1, -1, 4.0 / 7));
        // masked STE: no gradient where |w| > 1
        assertSteGradient(wrpn, w, vec(1, 1, 0, 0, 1));
        // unmasked: identity
        assertSteGradient(new KBitWeights(4, KBitWeights.Scaling.NONE, false), w, Nd4j.onesLike(w));
    }

    @Test
    void kBitPerChannelScalesEachOutputChannel() {
        // [2,1,1,2]: channel maxima 1 and 4; 4 bits
        INDArray w = Nd4j.createFromArray(new double[] {1, 0.5, -4, 1}).reshape(2, 1, 1, 2);
        KBitWeights k = new KBitWeights(4, KBitWeights.Scaling.PER_CHANNEL, false);
        INDArray expected = Nd4j.createFromArray(new double[] {1, 4.0 / 7, -4, 8.0 / 7}).reshape(2, 1, 1, 2);
        assertQuantizes(k, w, expected);
        assertEquals(Nd4j.createFromArray(new double[] {7, 4, -7, 2}).reshape(2, 1, 1, 2), k.codes(ArrayOps.COPYING, w));
    }

    @Test
    void kBitOfAllZerosAndOfOneWeight() {
        KBitWeights k = new KBitWeights(4);
        INDArray zeros = Nd4j.zeros(DataType.DOUBLE, 3);
        assertQuantizes(k, zeros, zeros.dup());
        assertQuantizes(k, vec(-0.6), vec(-0.6));
        // 2 bits: n = 1; w/s = 1, -0.5 (a tie: to even, 0), 0.25
        assertQuantizes(new KBitWeights(2), vec(0.2, -0.1, 0.05), vec(0.2, 0.0, 0.0));
        assertQuantizes(new KBitWeights(3), vec(1.0, 0.625, 0.375), vec(1.0, 2.0 / 3, 1.0 / 3));
    }

    // ---- k-bit activations

    @Test
    void kBitActivationsClipToUnitIntervalAndRound() {
        // 4 bits: 15 steps; 0.5 -> 7.5 -> 8 (the even neighbour)
        KBitActivations a = new KBitActivations(4);
        INDArray x = vec(-0.5, 0.0, 0.5, 1.0, 1.5, 0.2);
        assertQuantizes(a, x, vec(0, 0, 8.0 / 15, 1, 1, 3.0 / 15));
        // gradient 1 inside [0, 1] (bounds included), 0 outside
        assertSteGradient(a, x, vec(0, 1, 1, 1, 0, 1));
    }

    @Test
    void activationRoundingTiesGoToEven() {
        // 2 bits: 0.5/3 -> 0.5 -> 0 and 2.5/3 -> 2.5 -> 2 (exact in double; half away from zero would give 1 and 3);
        // 0.5 -> 1.5 -> 2; 8 bits: 0.5 -> 127.5 -> 128
        assertQuantizes(new KBitActivations(2), vec(0.5 / 3, 2.5 / 3), vec(0.0, 2.0 / 3));
        assertQuantizes(new KBitActivations(2), vec(0.5, 0.25), vec(2.0 / 3, 1.0 / 3));
        assertQuantizes(new KBitActivations(8), vec(0.5), vec(128.0 / 255));
        assertQuantizes(new KBitActivations(2), vec(0.0), vec(0.0));
        assertQuantizes(new KBitActivations(2), Nd4j.zeros(DataType.DOUBLE, 2, 2), Nd4j.zeros(DataType.DOUBLE, 2, 2));
    }

    /** Rounding alone: SameDiff's composed form and ND4J's rint agree, ties to even. */
    private record RoundOnly() implements Quantizer {
        @Override
        public <T> T quantize(TensorOps<T> ops, T x) {
            return ops.round(x);
        }

        @Override
        public String describe() {
            return "round";
        }
    }

    @Test
    void roundingIsHalfToEvenOnEveryRoute() {
        INDArray x = Nd4j.linspace(DataType.DOUBLE, -4, 4, 33); // steps of 1/4: ties at every odd half
        INDArray expected = Nd4j.createFromArray(java.util.Arrays.stream(x.toDoubleVector()).map(Math::rint).toArray());
        assertQuantizes(new RoundOnly(), x, expected);
        assertEquals(expected, new RoundOnly().quantize(ArrayOps.IN_PLACE, x.dup()));
        assertEquals(vec(2, -2, 4, -4, 0), new RoundOnly().quantize(ArrayOps.COPYING, vec(2.5, -2.5, 3.5, -3.5, 0.5)));
    }

    @Test
    void floatArraysGiveTheSameCodesAsDoubles() {
        Nd4j.getRandom().setSeed(3);
        INDArray w = Nd4j.randn(DataType.DOUBLE, 16, 8, 3, 3).muli(0.05);
        for (WeightQuantizer q : new WeightQuantizer[] {new TernaryWeights(), new KBitWeights(4)}) {
            Function<INDArray, INDArray> codes = x -> q.codes(ArrayOps.COPYING, x);
            assertEquals(codes.apply(w), codes.apply(w.castTo(DataType.FLOAT)).castTo(DataType.DOUBLE), q.describe());
        }
    }

    @Test
    void badBitWidthsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new KBitWeights(1));
        assertThrows(IllegalArgumentException.class, () -> new KBitWeights(9));
        assertThrows(IllegalArgumentException.class, () -> new KBitActivations(0));
        // one rule for every quantizer (BitWidth): 2..8 bits
        for (int bits : new int[] {1, 9, 16}) {
            assertThrows(IllegalArgumentException.class, () -> new KBitActivations(bits));
            assertThrows(IllegalArgumentException.class, () -> new PactActivations(bits, false));
            assertThrows(IllegalArgumentException.class, () -> LsqQuantizer.activations(bits));
            assertThrows(IllegalArgumentException.class, () -> LsqQuantizer.weights(bits, false));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Quantizers.weights(33, KBitWeights.Scaling.PER_LAYER));
        assertEquals("weight bits 33 is not allowed: give 2..8 bits", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new org.apprentice.model.LayerPrecision(9, 32));
        assertEquals("weight precision 9 is not allowed: give 2..8 bits, or 32 (full precision)", e.getMessage());
        assertEquals(List.of(1, 3, 7, 15, 127, 255), List.of(BitWidth.levels(2, true), BitWidth.levels(2, false),
                BitWidth.levels(4, true), BitWidth.levels(4, false), BitWidth.levels(8, true), BitWidth.levels(8, false)));
    }

    public static int distinct(INDArray x) {
        // + 0.0 folds -0.0 into 0.0
        return (int) java.util.Arrays.stream(x.dup().data().asDouble()).map(v -> v + 0.0).distinct().count();
    }
}
