package org.apprentice.quant;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Executes a {@link Quantizer} as SameDiff ops on arrays: the forward value, the codes and scale
 * of a weight quantizer, and the STE gradient (obtained by SameDiff's own differentiation of the
 * {@link Quantizer#straightThrough} form, so no gradient rule is written twice).
 *
 * <p>One graph is built per quantizer, data type and rank, and reused. SameDiff instances are not
 * thread-safe, so calls on one graph are serialised. Results are detached from any workspace.
 */
public final class QuantizerRunner {
    private static final String X = "x";
    private static final String UPSTREAM = "upstream";
    private static final String Q = "q";
    private static final String CODES = "codes";
    private static final String SCALE = "scale";
    private static final String LOSS = "loss";

    private static final Map<List<Object>, QuantizerRunner> CACHE = new ConcurrentHashMap<>();

    private final SameDiff sd;

    private QuantizerRunner(Quantizer quantizer, DataType type, int rank) {
        sd = SameDiff.create();
        long[] shape = new long[rank];
        java.util.Arrays.fill(shape, -1);
        // SameDiff builds a gradient graph only for losses that depend on a trainable variable: x
        // enters through "x + 0" with a scalar zero variable, which changes no value.
        SDVariable x = sd.placeHolder(X, type, shape).add(sd.var("zero", Nd4j.scalar(type, 0.0)));
        SameDiffOps ops = new SameDiffOps(sd);
        quantizer.quantize(ops, x).rename(Q);
        if (quantizer instanceof WeightQuantizer w) {
            w.codes(ops, x).rename(CODES);
            w.scale(ops, x).rename(SCALE);
        }
        // d/dx sum(ste(x) * upstream) = upstream * dste/dx: SameDiff's gradient of the STE form
        SDVariable upstream = sd.placeHolder(UPSTREAM, type, shape);
        quantizer.straightThrough(sd, x).mul(upstream).sum().rename(LOSS);
        sd.setLossVariables(LOSS);
        // Build the gradient graph now, before any execution: built lazily, SameDiff hashes ops that
        // still reference arrays from earlier calls, which may live in DL4J workspaces since closed.
        // SameDiff prints a line per differentiated op to stdout (hard-coded); keep it off the console.
        PrintStream console = System.out;
        synchronized (System.class) {
            System.setOut(new PrintStream(OutputStream.nullOutputStream()));
            try {
                sd.createGradFunction();
            } finally {
                System.setOut(console);
            }
        }
    }

    /** The runner for {@code quantizer} on arrays of {@code type} and {@code rank}. */
    public static QuantizerRunner of(Quantizer quantizer, DataType type, int rank) {
        return CACHE.computeIfAbsent(List.of(quantizer, type, rank), k -> new QuantizerRunner(quantizer, type, rank));
    }

    public static QuantizerRunner of(Quantizer quantizer, INDArray like) {
        return of(quantizer, like.dataType(), like.rank());
    }

    /** q(x). */
    public INDArray quantize(INDArray x) {
        return output(Map.of(X, x), Q);
    }

    /** The integer codes of a weight quantizer. */
    public INDArray codes(INDArray w) {
        return output(Map.of(X, w), CODES);
    }

    /** The scale of a weight quantizer (scalar or per channel). */
    public INDArray scale(INDArray w) {
        return output(Map.of(X, w), SCALE);
    }

    /** The STE gradient with respect to x, given the gradient {@code upstream} with respect to q(x). */
    public INDArray gradient(INDArray x, INDArray upstream) {
        Map<String, INDArray> in = new HashMap<>();
        in.put(X, x);
        in.put(UPSTREAM, upstream);
        synchronized (sd) {
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                return sd.calculateGradients(in, X).get(X);
            }
        }
    }

    private INDArray output(Map<String, INDArray> in, String name) {
        synchronized (sd) {
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                return sd.output(in, name).get(name);
            }
        }
    }
}
