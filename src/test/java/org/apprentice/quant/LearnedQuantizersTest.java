package org.apprentice.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apprentice.testing.DoublePrecision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The learned quantizers on their own, in double precision: finite differences against the gradients of every exact
 * quantizer (rounding off), SameDiff's differentiation of the composed form against the array route (rounding on),
 * and the papers' rules on hand-made tensors.
 */
@ExtendWith(DoublePrecision.class)
class LearnedQuantizersTest {
    private static final double EPS = 1e-6;

    /** L = Σ c ⊙ q(x; p) for a fixed random c: its gradients are the quantizer's with g = c. */
    private static double loss(LearnedQuantizer q, INDArray x, List<INDArray> p, INDArray c) {
        return q.quantize(ArrayOps.COPYING, x, p).mul(c).sumNumber().doubleValue();
    }

    private static List<INDArray> copy(List<INDArray> p) {
        List<INDArray> out = new ArrayList<>();
        p.forEach(v -> out.add(v.dup()));
        return out;
    }

    /** Central differences of L in every parameter value against parameterGradient. */
    private static void checkParameters(LearnedQuantizer q, INDArray x, List<INDArray> p) {
        INDArray c = Nd4j.rand(DataType.DOUBLE, x.shape()).subi(0.5);
        for (int i = 0; i < p.size(); i++) {
            INDArray analytic = q.parameterGradient(ArrayOps.COPYING, x, p, c, i, x.shape());
            for (int j = 0; j < p.get(i).length(); j++) {
                List<INDArray> plus = copy(p);
                List<INDArray> minus = copy(p);
                plus.get(i).putScalar(j, plus.get(i).getDouble(j) + EPS);
                minus.get(i).putScalar(j, minus.get(i).getDouble(j) - EPS);
                double numeric = (loss(q, x, plus, c) - loss(q, x, minus, c)) / (2 * EPS);
                assertEquals(numeric, analytic.getDouble(j), 1e-6 * Math.max(1, Math.abs(numeric)),
                        q.describe() + ": dL/d" + q.parameters().get(i) + "[" + j + "]");
            }
        }
    }

    /** Central differences of L in every element of x against inputGradient. */
    private static void checkInput(LearnedQuantizer q, INDArray x, List<INDArray> p) {
        INDArray c = Nd4j.rand(DataType.DOUBLE, x.shape()).subi(0.5);
        INDArray analytic = q.inputGradient(ArrayOps.COPYING, x, p, c);
        for (int j = 0; j < x.length(); j++) {
            INDArray plus = x.dup();
            INDArray minus = x.dup();
            plus.putScalar(j, x.getDouble(j) + EPS);
            minus.putScalar(j, x.getDouble(j) - EPS);
            double numeric = (loss(q, plus, p, c) - loss(q, minus, p, c)) / (2 * EPS);
            assertEquals(numeric, analytic.getDouble(j), 1e-6, q.describe() + ": dL/dx[" + j + "]");
        }
    }

    private static INDArray weights() {
        Nd4j.getRandom().setSeed(3);
        return Nd4j.randn(DataType.DOUBLE, 3, 2, 3, 3).muli(0.5);
    }

    private static INDArray activations() {
        Nd4j.getRandom().setSeed(4);
        return Nd4j.randn(DataType.DOUBLE, 2, 3, 4, 4);
    }

    private static INDArray scalar(double v) {
        return Nd4j.scalar(DataType.DOUBLE, v).reshape(1, 1);
    }

    @Test
    void exactPactAndLsqHaveTheirFiniteDifferenceGradients() {
        INDArray a = activations();
        checkParameters(new PactActivations(4, true), a, List.of(scalar(0.8)));
        checkInput(new PactActivations(4, true), a, List.of(scalar(0.8)));
        LsqQuantizer lsqA = new LsqQuantizer(4, false, false, true);
        checkParameters(lsqA, a, List.of(scalar(0.07)));
        checkInput(lsqA, a, List.of(scalar(0.07)));
        INDArray w = weights();
        LsqQuantizer lsqW = new LsqQuantizer(4, true, false, true);
        checkParameters(lsqW, w, List.of(scalar(0.1)));
        checkInput(lsqW, w, List.of(scalar(0.1)));
        LsqQuantizer perChannel = new LsqQuantizer(3, true, true, true);
        List<INDArray> steps = List.of(Nd4j.createFromArray(0.2, 0.25, 0.3).reshape(3, 1, 1, 1));
        checkParameters(perChannel, w, steps);
        checkInput(perChannel, w, steps);
    }

    @Test
    void ttqScalesHaveTheirFiniteDifferenceGradientsAndTheLatentWeightsThePapersRule() {
        checkParameters(new TtqWeights(0.05, true), weights(), List.of(scalar(0.7), scalar(0.4)));
        TtqWeights ttq = new TtqWeights(0.05, true);
        // Δ = 0.05·max|w| = 0.05: codes +1, -1, 0, 0, +1
        INDArray w = Nd4j.createFromArray(0.9, -0.5, 0.01, -0.02, 1.0);
        List<INDArray> p = List.of(scalar(2.0), scalar(3.0));
        assertArrayEquals(new double[] {2, -3, 0, 0, 2}, ttq.quantize(ArrayOps.COPYING, w, p).toDoubleVector(), 0);
        INDArray g = Nd4j.createFromArray(0.1, 0.2, 0.3, 0.4, 0.5);
        assertArrayEquals(new double[] {0.2, 0.6, 0.3, 0.4, 1.0}, ttq.inputGradient(ArrayOps.COPYING, w, p, g).toDoubleVector(), 1e-12);
        assertEquals(0.6, ttq.parameterGradient(ArrayOps.COPYING, w, p, g, 0, w.shape()).getDouble(0), 1e-12);
        assertEquals(-0.2, ttq.parameterGradient(ArrayOps.COPYING, w, p, g, 1, w.shape()).getDouble(0), 1e-12);
        // both scales start at the mean |w| of their codes' weights
        List<INDArray> initial = ttq.initialValues(ArrayOps.COPYING, w);
        assertEquals(0.95, initial.get(0).getDouble(0), 1e-12);
        assertEquals(0.5, initial.get(1).getDouble(0), 1e-12);
        // in training, the scales' gradients are divided by sqrt(N), N = 5 weights here
        assertEquals(0.6 / Math.sqrt(5), new TtqWeights(0.05).parameterGradient(ArrayOps.COPYING, w, p, g, 0, w.shape())
                .getDouble(0), 1e-12);
    }

    @Test
    void lsqAndPactFollowThePapersRulesWithRounding() {
        // LSQ, 2-bit signed weights: Q = 1 (ternary), step 0.5, g = 1/sqrt(5·1)
        LsqQuantizer lsq = LsqQuantizer.weights(2, false);
        INDArray w = Nd4j.createFromArray(0.2, 0.4, -0.9, 0.6, -0.1);
        List<INDArray> s = List.of(scalar(0.5));
        assertArrayEquals(new double[] {0, 0.5, -0.5, 0.5, 0}, lsq.quantize(ArrayOps.COPYING, w, s).toDoubleVector(), 1e-12);
        INDArray ones = Nd4j.ones(DataType.DOUBLE, 5);
        // dq/ds: round(v) - v inside (0 - 0.4, 1 - 0.8, 1 - 1.2 is outside: Q, ...), -Q below
        double expected = ((0 - 0.4) + (1 - 0.8) + (-1) + 1 + (0 + 0.2)) / Math.sqrt(5);
        assertEquals(expected, lsq.parameterGradient(ArrayOps.COPYING, w, s, ones, 0, w.shape()).getDouble(0), 1e-12);
        assertArrayEquals(new double[] {1, 1, 0, 0, 1}, lsq.inputGradient(ArrayOps.COPYING, w, s, ones).toDoubleVector(), 0);
        // PACT, 2 bits, α = 3: levels 0, 1, 2, 3; dq/dα = 1 above α
        PactActivations pact = new PactActivations(2, false);
        INDArray x = Nd4j.createFromArray(-1.0, 0.4, 1.6, 2.9, 5.0);
        List<INDArray> alpha = List.of(scalar(3.0));
        assertArrayEquals(new double[] {0, 0, 2, 3, 3}, pact.quantize(ArrayOps.COPYING, x, alpha).toDoubleVector(), 1e-12);
        assertArrayEquals(new double[] {0, 1, 1, 1, 0}, pact.inputGradient(ArrayOps.COPYING, x, alpha, Nd4j.ones(DataType.DOUBLE, 5)).toDoubleVector(), 0);
        assertEquals(1.0, pact.parameterGradient(ArrayOps.COPYING, x, alpha, Nd4j.ones(DataType.DOUBLE, 5), 0, x.shape()).getDouble(0), 0);
    }

    @Test
    void sameDiffDifferentiationOfTheComposedFormEqualsTheArrayRoute() {
        record Case(LearnedQuantizer q, INDArray x, List<INDArray> p) {
        }
        List<Case> cases = List.of(
                new Case(new TtqWeights(0.05), weights(), List.of(scalar(0.7), scalar(0.4))),
                new Case(LsqQuantizer.weights(2, false), weights(), List.of(scalar(0.3))),
                new Case(LsqQuantizer.weights(4, true), weights(), List.of(Nd4j.createFromArray(0.05, 0.08, 0.1).reshape(3, 1, 1, 1))),
                new Case(LsqQuantizer.activations(4), activations(), List.of(scalar(0.11))),
                new Case(new PactActivations(4, false), activations(), List.of(scalar(1.3))));
        for (Case k : cases) {
            INDArray c = Nd4j.rand(DataType.DOUBLE, k.x().shape()).subi(0.5);
            SameDiff sd = SameDiff.create();
            SDVariable x = sd.var("x", k.x().dup());
            List<SDVariable> p = new ArrayList<>();
            for (int i = 0; i < k.p().size(); i++) {
                p.add(sd.var(k.q().parameters().get(i), k.p().get(i).dup()));
            }
            SDVariable out = k.q().straightThrough(sd, x, p, k.x().shape()).rename("q");
            out.mul(sd.constant(c)).sum().rename("loss");
            sd.setLossVariables("loss");
            List<String> names = new ArrayList<>(List.of("x"));
            names.addAll(k.q().parameters());
            Map<String, INDArray> grads = sd.calculateGradients(new HashMap<>(), names);
            INDArray forward = sd.output(new HashMap<>(), "q").get("q");
            String what = k.q().describe();
            assertTrue(forward.equalsWithEps(k.q().quantize(ArrayOps.COPYING, k.x(), k.p()), 1e-12), what + ": forward");
            if (k.q().inPlaceSafe()) {
                assertTrue(forward.equalsWithEps(k.q().quantize(ArrayOps.IN_PLACE, k.x().dup(), k.p()), 1e-12),
                        what + ": forward in place");
            }
            assertTrue(grads.get("x").equalsWithEps(k.q().inputGradient(ArrayOps.COPYING, k.x(), k.p(), c), 1e-12), what + ": dL/dx");
            INDArray xBefore = k.x().dup();
            INDArray cBefore = c.dup();
            List<INDArray> together = k.q().gradients(ArrayOps.COPYING, k.x(), k.p(), c, k.x().shape());
            assertTrue(k.x().equals(xBefore) && c.equals(cBefore), what + ": gradients overwrote their inputs");
            assertTrue(together.get(0).equalsWithEps(grads.get("x"), 1e-12), what + ": dL/dx, shared");
            for (int i = 0; i < k.p().size(); i++) {
                INDArray route = k.q().parameterGradient(ArrayOps.COPYING, k.x(), k.p(), c, i, k.x().shape());
                assertTrue(together.get(i + 1).equalsWithEps(route, 1e-12), what + ": dL/dp, shared");
                assertTrue(grads.get(k.q().parameters().get(i)).reshape(route.shape()).equalsWithEps(route, 1e-10),
                        what + ": dL/d" + k.q().parameters().get(i) + " " + grads.get(k.q().parameters().get(i)) + " vs " + route);
            }
        }
    }

    @Test
    void lsqStartsAtTwiceTheMeanMagnitudeOverRootQAndScalesItsGradient() {
        INDArray w = Nd4j.createFromArray(0.2, -0.4, 0.6, -0.8).reshape(2, 2);
        LsqQuantizer four = LsqQuantizer.weights(4, false);
        assertEquals(2 * 0.5 / Math.sqrt(7), four.initialValues(ArrayOps.COPYING, w).get(0).getDouble(0), 1e-12);
        assertEquals(1 / Math.sqrt(4 * 7.0), four.gradientScale(w.shape()), 1e-12);
        LsqQuantizer perChannel = LsqQuantizer.weights(4, true);
        assertArrayEquals(new double[] {2 * 0.3 / Math.sqrt(7), 2 * 0.7 / Math.sqrt(7)},
                perChannel.initialValues(ArrayOps.COPYING, w).get(0).toDoubleVector(), 1e-12);
        assertEquals(1 / Math.sqrt(2 * 7.0), perChannel.gradientScale(w.shape()), 1e-12);
        // activations: N counts one image's features (3·4·4), Q = 15
        assertEquals(1 / Math.sqrt(48 * 15.0), LsqQuantizer.activations(4).gradientScale(new long[] {2, 3, 4, 4}), 1e-12);
    }
}
