package org.apprentice.quant;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A layer's learned quantizer parameters, stored in its parameter table as row vectors (one value, or one per
 * output channel) and handed to the quantizer shaped to broadcast against the tensor it quantizes. Zero means
 * "not yet set": the first tensor the layer quantizes gives their starting values (from trained weights after
 * lowering, or from the first batch of activations), so a model lowered from full precision starts where LSQ
 * and TTQ say it should.
 */
final class LearnedParameters {
    private LearnedParameters() {
    }

    /** Entries [from, to) of a layer's flattened parameter (or gradient) view, as a view: rank 1, or a [1, n] row. */
    static INDArray slice(INDArray view, long from, long to) {
        return view.rank() == 1 ? view.get(NDArrayIndex.interval(from, to))
                : view.get(NDArrayIndex.interval(0, 0, true), NDArrayIndex.interval(from, to));
    }

    /** Number of values each parameter holds. */
    static long size(LearnedQuantizer quantizer, long channels) {
        return quantizer.perChannel() ? channels : 1;
    }

    /**
     * Below this a learned scale, clip or step is taken as this: every one of them is a positive magnitude, and SGD can
     * push one through zero, where PACT and LSQ would divide by it and TTQ's codes would swap sign.
     */
    static final double FLOOR = 1e-8;

    /** The parameters as the quantizer takes them: [C, 1, 1, 1] per channel, else [1, 1]; floored at {@link #FLOOR}. */
    static List<INDArray> values(LearnedQuantizer quantizer, Map<String, INDArray> table, int rank) {
        List<INDArray> out = new ArrayList<>();
        for (String name : quantizer.parameters()) {
            INDArray p = org.nd4j.linalg.ops.transforms.Transforms.max(table.get(name), FLOOR, true);
            if (quantizer.perChannel()) {
                long[] shape = new long[rank];
                java.util.Arrays.fill(shape, 1);
                shape[0] = p.length();
                out.add(p.reshape(shape));
            } else {
                out.add(p.reshape(1, 1));
            }
        }
        return out;
    }

    /** Sets the parameters from {@code x} if none has been set yet (all zero). */
    static void initialiseIfUnset(LearnedQuantizer quantizer, Map<String, INDArray> table, INDArray x) {
        for (String name : quantizer.parameters()) {
            if (table.get(name).amaxNumber().doubleValue() != 0.0) {
                return;
            }
        }
        List<INDArray> initial = quantizer.initialValues(ArrayOps.COPYING, x);
        for (int i = 0; i < initial.size(); i++) {
            INDArray target = table.get(quantizer.parameters().get(i));
            target.assign(initial.get(i).castTo(target.dataType()).reshape(target.shape()));
        }
    }

    /** Writes dL/dp for every parameter into the layer's gradient views, from g = dL/dq; returns dL/dx. */
    static INDArray gradients(LearnedQuantizer quantizer, INDArray x, List<INDArray> p, INDArray g,
                              Map<String, INDArray> gradientViews) {
        List<INDArray> all = quantizer.gradients(ArrayOps.COPYING, x, p, g, x.shape());
        for (int i = 0; i < p.size(); i++) {
            INDArray view = gradientViews.get(quantizer.parameters().get(i));
            view.assign(all.get(i + 1).castTo(view.dataType()).reshape(view.shape()));
        }
        return all.get(0);
    }
}
