package org.apprentice.testing;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import onnx.Onnx;
import org.apprentice.model.ResNetBuilder;
import org.apprentice.quant.ActivationGrid;
import org.apprentice.quant.ActivationQuantization;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * What ONNX Runtime and DL4J agree on for a quantized network, stated so that it holds on any machine.
 *
 * <p>Two runtimes add a convolution's terms in different orders (which order depends on the CPU's instruction set
 * and the thread count), so a pre-activation differs between them in its last bits. Where it lies on a rounding
 * boundary of a k-bit activation quantizer, the two round it to neighbouring levels (a <em>tie</em>), and from there
 * on the image's activations, logits and even top-1 may differ. Nothing else may. So, per image:
 * <ul>
 *   <li>find the first quantized activation (in topological order) whose integer codes differ between the runtimes;
 *   <li>if there is none, the logits must agree within {@code tolerance} (relative to the largest logit);
 *   <li>if there is one, every code that differs there must be a tie: the codes are neighbours, the two
 *       pre-activations agree within {@code tolerance} of that layer's largest pre-activation, a rounding boundary
 *       lies between them (with a few ulps of slack for the quantizer's own scaling), and the higher level goes with
 *       the higher pre-activation. A wrong step, clip or rounding in an export moves codes far from any boundary and
 *       fails this.
 * </ul>
 * And on every image, tied or not, each of ONNX Runtime's quantizer outputs must be the rounding of its own input
 * (away from boundaries), so every exported quantizer is checked beyond the first tie too.
 * ONNX Runtime is asked for every quantizer's input and output besides the logits (graph outputs added to a copy of
 * the file); DL4J's come from its feed-forward activations, vertex by vertex under the same names.
 */
public final class RuntimeAgreement {
    /** Slack, in quantization levels, for the float rounding of a quantizer's own scale before it rounds. */
    private static final double LEVEL_SLACK = 1e-5;

    /**
     * A quantized activation: the tensor it reads (the pre-activation), the one it writes, its value per level, and
     * its highest level (codes run from 0 to it).
     */
    public record Grid(String input, String output, double step, int levels) {
        /** The code a pre-activation rounds to, or -1 where it lies within {@code slack} levels of a boundary. */
        int code(double preActivation, double slack) {
            double level = preActivation / step;
            if (level <= 0 || level >= levels) {
                return level <= 0 ? 0 : levels; // clipped: no boundary near
            }
            return Math.abs(level - (Math.floor(level) + 0.5)) <= slack * Math.max(1, level) ? -1 : (int) Math.rint(level);
        }
    }

    /** What the two runtimes said about a set of images. */
    public record Report(long images, long sameTop1, long tiedImages, long untiedBeyondTolerance,
                         double worstUntiedError, double worstTieGap, long codesChecked, List<String> unexplained) {
        /** Images whose top-1 differs between the runtimes. */
        public long top1Differences() {
            return images - sameTop1;
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "%d images: top-1 equal on %d; %d with a rounding tie; without a "
                    + "tie, %d beyond tolerance, worst relative logit error %.2e; widest tie %.2e of the layer's "
                    + "largest pre-activation; %d of ONNX Runtime's codes checked against its own pre-activations; "
                    + "unexplained: %s", images, sameTop1, tiedImages, untiedBeyondTolerance, worstUntiedError,
                    worstTieGap, codesChecked, unexplained.isEmpty() ? "none" : unexplained);
        }
    }

    private RuntimeAgreement() {
    }

    /** The rounding quantizers of {@code net} (those with rounding switched off have no grid), in topological order. */
    public static List<Grid> grids(ComputationGraph net) {
        List<Grid> grids = new ArrayList<>();
        var conf = net.getConfiguration();
        for (String name : conf.getTopologicalOrderStr()) {
            Layer layer = net.getLayer(name);
            if (layer == null) {
                continue;
            }
            ActivationQuantization q = ActivationQuantization.of(layer.conf().getLayer());
            ActivationGrid grid = q == null ? null : q.grid(layer);
            if (grid != null && grid.rounding()) {
                grids.add(new Grid(conf.getVertexInputs().get(name).get(0), name, grid.step(), grid.levels()));
            }
        }
        return grids;
    }

    /**
     * Runs {@code onnx} in ONNX Runtime and {@code dl4j} on every image of {@code test} and explains every
     * disagreement; {@code input} and {@code logits} name the ONNX graph's input and logits.
     */
    public static Report compare(File onnx, String input, String logits, ComputationGraph dl4j, DataSetIterator test,
                                 double tolerance) throws Exception {
        List<Grid> grids = grids(dl4j);
        // an export takes pixels in [0, 1] and normalizes them in its graph: DL4J's features go back to pixels for it
        org.apprentice.model.Normalization normalization = org.apprentice.model.pretrained.Pretrained.takesPixels(onnx)
                ? org.apprentice.model.pretrained.Pretrained.normalization(onnx) : null;
        List<String> tensors = new ArrayList<>();
        grids.forEach(g -> {
            tensors.add(g.input());
            tensors.add(g.output());
        });
        File instrumented = withOutputs(onnx, tensors, Onnx.TensorProto.DataType.FLOAT);
        Tally tally = new Tally(tolerance);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = sessionOptions();
             OrtSession session = env.createSession(instrumented.getPath(), options);
             OrtSession plain = env.createSession(onnx.getPath(), options)) {
            List<String> wanted = new ArrayList<>(List.of(logits));
            grids.forEach(g -> {
                wanted.add(g.input());
                wanted.add(g.output());
            });
            while (test.hasNext()) {
                DataSet batch = test.next();
                INDArray features = batch.getFeatures().castTo(DataType.FLOAT).dup('c');
                Map<String, INDArray> ours = new LinkedHashMap<>(dl4j.feedForward(features, false));
                for (Grid g : grids) {
                    ours.put(g.input(), recomputed(dl4j, g.input(), ours));
                }
                INDArray fed = IntegerAgreement.pixels(features, normalization);
                Map<String, INDArray> theirs = run(env, session, input, fed, wanted);
                INDArray asExported = run(env, plain, input, fed, List.of(logits)).get(logits);
                tally.batch(grids, ours, theirs, ours.get(ResNetBuilder.LOGITS), asExported, theirs.get(logits));
            }
        } finally {
            Files.deleteIfExists(instrumented.toPath());
        }
        return tally.report();
    }

    /**
     * ONNX Runtime's options: as many intra-op threads as {@code OMP_NUM_THREADS} says when it is set (so that a run
     * on one thread, as {@code .ci/run}'s second pass, holds ONNX Runtime to one thread too), else its default.
     */
    static OrtSession.SessionOptions sessionOptions() throws ai.onnxruntime.OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        String threads = System.getenv("OMP_NUM_THREADS");
        if (threads != null && threads.trim().matches("[1-9][0-9]*")) {
            options.setIntraOpNumThreads(Integer.parseInt(threads.trim()));
        }
        return options;
    }

    /** The {@code wanted} outputs of {@code session} on {@code features}, as float arrays (uint8 codes as their values). */
    static Map<String, INDArray> run(OrtEnvironment env, OrtSession session, String input, INDArray features,
                                             List<String> wanted) throws ai.onnxruntime.OrtException {
        Map<String, INDArray> outputs = new LinkedHashMap<>();
        try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(features.data().asFloat()), features.shape());
             OrtSession.Result result = session.run(Map.of(input, in), new java.util.LinkedHashSet<>(wanted))) {
            for (String name : wanted) {
                OnnxTensor t = (OnnxTensor) result.get(name).orElseThrow();
                float[] values = new float[(int) t.getInfo().getNumElements()];
                if (t.getInfo().type == ai.onnxruntime.OnnxJavaType.UINT8) {
                    java.nio.ByteBuffer b = t.getByteBuffer();
                    for (int i = 0; i < values.length; i++) {
                        values[i] = b.get(i) & 0xff;
                    }
                } else {
                    t.getFloatBuffer().get(values);
                }
                outputs.put(name, Nd4j.create(values, t.getInfo().getShape(), 'c'));
            }
        }
        return outputs;
    }

    /**
     * DL4J's output of vertex {@code name}, computed again from its inputs' recorded activations: at inference an
     * activation layer quantizes its input array in place, so the feed-forward map holds a quantizer's output under
     * its input's name too. A batch norm or residual add writes a fresh array, so its own inputs are intact.
     */
    static INDArray recomputed(ComputationGraph net, String name, Map<String, INDArray> activations) {
        org.deeplearning4j.nn.graph.vertex.GraphVertex vertex = net.getVertex(name);
        List<String> inputs = net.getConfiguration().getVertexInputs().get(name);
        for (int i = 0; i < inputs.size(); i++) {
            vertex.setInput(i, activations.get(inputs.get(i)).dup(),
                    org.deeplearning4j.nn.workspace.LayerWorkspaceMgr.noWorkspaces());
        }
        INDArray out = vertex.doForward(false, org.deeplearning4j.nn.workspace.LayerWorkspaceMgr.noWorkspaces()).dup();
        vertex.clear();
        return out;
    }

    /** A copy of {@code onnx} whose graph also outputs the tensors {@code names}, of element type {@code type}. */
    static File withOutputs(File onnx, List<String> names, Onnx.TensorProto.DataType type) throws IOException {
        Onnx.ModelProto model = Onnx.ModelProto.parseFrom(Files.readAllBytes(onnx.toPath()));
        Onnx.GraphProto.Builder graph = model.getGraph().toBuilder();
        java.util.Set<String> present = new java.util.HashSet<>();
        graph.getOutputList().forEach(o -> present.add(o.getName()));
        for (String name : names) {
            if (present.add(name)) {
                graph.addOutput(Onnx.ValueInfoProto.newBuilder().setName(name).setType(Onnx.TypeProto.newBuilder()
                        .setTensorType(Onnx.TypeProto.Tensor.newBuilder().setElemType(type.getNumber()))));
            }
        }
        File copy = File.createTempFile("instrumented", ".onnx");
        try (OutputStream out = Files.newOutputStream(copy.toPath())) {
            model.toBuilder().setGraph(graph).build().writeTo(out);
        }
        return copy;
    }

    /** The counts over the images seen so far. */
    private static final class Tally {
        private final double tolerance;
        private long images;
        private long sameTop1;
        private long tied;
        private long untiedBeyond;
        private double worstUntied;
        private double worstTieGap;
        private long codesChecked;
        private final List<String> unexplained = new ArrayList<>();

        Tally(double tolerance) {
            this.tolerance = tolerance;
        }

        /**
         * {@code theirLogits} come from the file as exported, {@code instrumentedLogits} from the copy that also
         * outputs the quantizers' tensors (the ties are found there): where no tie is found, the two must agree, so
         * that the extra outputs cannot hide a difference by changing how ONNX Runtime fuses the graph.
         */
        void batch(List<Grid> grids, Map<String, INDArray> ours, Map<String, INDArray> theirs, INDArray ourLogits,
                   INDArray theirLogits, INDArray instrumentedLogits) {
            for (Grid g : grids) {
                ownRounding(g, theirs.get(g.input()), theirs.get(g.output()));
            }
            long n = ourLogits.size(0);
            // per grid, per image: the largest difference between the runtimes' quantized outputs, in levels
            List<double[]> apart = new ArrayList<>();
            for (Grid g : grids) {
                INDArray diff = Transforms.abs(ours.get(g.output()).sub(theirs.get(g.output())), false).reshape(n, -1);
                apart.add(diff.max(1).divi(g.step()).castTo(DataType.DOUBLE).toDoubleVector());
            }
            for (int i = 0; i < n; i++) {
                long image = images + i;
                Grid flipped = null;
                for (int k = 0; k < grids.size() && flipped == null; k++) {
                    flipped = apart.get(k)[i] > 0.5 ? grids.get(k) : null;
                }
                INDArray a = ourLogits.getRow(i);
                INDArray b = theirLogits.getRow(i);
                boolean sameClass = a.argMax().getInt(0) == b.argMax().getInt(0);
                sameTop1 += sameClass ? 1 : 0;
                if (flipped == null) {
                    double copy = TorchGolden.relativeError(instrumentedLogits.getRow(i), b);
                    if (copy > tolerance) {
                        unexplained.add("image " + image + ": the instrumented copy's logits differ from the file's by "
                                + copy);
                    }
                    double error = TorchGolden.relativeError(b, a);
                    worstUntied = Math.max(worstUntied, error);
                    if (error > tolerance) {
                        untiedBeyond++;
                        unexplained.add("image " + image + ": no rounding tie, logits differ by " + error
                                + (sameClass ? "" : " and top-1 differs"));
                    }
                } else {
                    tied++;
                    explainTie(image, flipped, ours.get(flipped.input()).slice(i), theirs.get(flipped.input()).slice(i),
                            ours.get(flipped.output()).slice(i), theirs.get(flipped.output()).slice(i));
                }
            }
            images += n;
        }

        /**
         * ONNX Runtime's codes, every element of every image: each must be the rounding of ONNX Runtime's own
         * pre-activation (clipped to the grid), except within {@link #LEVEL_SLACK} of a boundary, where the scaling
         * before its Round may tip it. This checks each exported quantizer on its own, on any machine, whether or not
         * an earlier layer tied.
         */
        private void ownRounding(Grid g, INDArray in, INDArray out) {
            // fast path: every code equals the plain rounding of its pre-activation (most batches)
            INDArray levels = Transforms.round(in.div(g.step()), false);
            INDArray rounded = Transforms.min(Transforms.max(levels, 0.0, false), g.levels(), false).muli(g.step());
            if (Transforms.abs(rounded.subi(out), false).maxNumber().doubleValue() <= 0.5 * g.step()) {
                codesChecked += in.length();
                return;
            }
            float[] pre = in.castTo(DataType.FLOAT).dup('c').data().asFloat();
            float[] post = out.castTo(DataType.FLOAT).dup('c').data().asFloat();
            long perImage = pre.length / Math.max(1, in.size(0));
            for (int k = 0; k < pre.length; k++) {
                int expected = g.code(pre[k], LEVEL_SLACK);
                long code = Math.round(post[k] / g.step());
                if (expected >= 0 && code != expected) {
                    unexplained.add(String.format(java.util.Locale.ROOT, "image %d, %s element %d: ONNX Runtime's "
                            + "level %d is not the rounding of its own pre-activation %.9g (level %d)",
                            images + k / perImage, g.output(), k % perImage, code, pre[k], expected));
                    return;
                }
            }
            codesChecked += pre.length;
        }

        /** Checks that every differing code of the first layer where codes differ is a rounding tie. */
        private void explainTie(long image, Grid g, INDArray ourIn, INDArray theirIn, INDArray ourOut, INDArray theirOut) {
            double[] inD = ourIn.castTo(DataType.DOUBLE).dup('c').data().asDouble();
            double[] inO = theirIn.castTo(DataType.DOUBLE).dup('c').data().asDouble();
            double[] outD = ourOut.castTo(DataType.DOUBLE).dup('c').data().asDouble();
            double[] outO = theirOut.castTo(DataType.DOUBLE).dup('c').data().asDouble();
            double scale = 0;
            for (double v : inD) {
                scale = Math.max(scale, Math.abs(v));
            }
            for (int k = 0; k < inD.length; k++) {
                if (Math.abs(outD[k] - outO[k]) <= 0.5 * g.step()) {
                    continue;
                }
                double gap = Math.abs(inD[k] - inO[k]);
                double level = inD[k] / g.step();
                double boundary = (Math.floor(level) + 0.5) * g.step(); // the one nearest DL4J's pre-activation
                double slack = LEVEL_SLACK * g.step() * Math.max(1, Math.abs(level));
                worstTieGap = Math.max(worstTieGap, gap / scale);
                boolean neighbours = Math.abs(Math.abs(outD[k] - outO[k]) / g.step() - 1) < 1e-3;
                boolean between = Math.min(inD[k], inO[k]) - slack <= boundary && boundary <= Math.max(inD[k], inO[k]) + slack;
                // the higher level goes with the higher pre-activation (an exact tie may go either way)
                boolean sameWay = gap <= slack || (outO[k] > outD[k]) == (inO[k] > inD[k]);
                if (!neighbours || gap > tolerance * scale || !between || !sameWay) {
                    unexplained.add(String.format(java.util.Locale.ROOT, "image %d, %s element %d: levels %.0f vs %.0f "
                            + "from pre-activations %.9g vs %.9g (the nearest rounding boundary %.9g)", image,
                            g.output(), k, outD[k] / g.step(), outO[k] / g.step(), inD[k], inO[k], boundary));
                    return;
                }
            }
        }

        Report report() {
            return new Report(images, sameTop1, tied, untiedBeyond, worstUntied, worstTieGap, codesChecked,
                    unexplained.size() > 10 ? List.copyOf(unexplained.subList(0, 10)) : List.copyOf(unexplained));
        }
    }
}
