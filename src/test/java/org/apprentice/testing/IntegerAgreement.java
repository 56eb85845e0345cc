package org.apprentice.testing;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.io.File;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import onnx.Onnx;
import org.apprentice.export.IntegerOnnx;
import org.apprentice.model.Normalization;
import org.apprentice.model.ResNetBuilder;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * What ONNX Runtime running the integer export ({@link IntegerOnnx}) and DL4J running the student agree on, stated
 * so that it holds on any machine, layer by layer. The export computes the student's arithmetic except for roundings
 * it bounds per activation quantizer ({@link IntegerOnnx.Quantizer#bound()}: the bias in the accumulator's unit, a
 * residual branch on its int8 grid), and ONNX Runtime adds in its own order. So, for every image and every quantizer:
 * DL4J recomputes the quantizer's pre-activation from the <em>file's own</em> codes of the layers before it (so a
 * difference upstream never hides or excuses one here), and each of the file's codes must be the rounding of a value
 * within the export's bound (plus float slack) of that pre-activation, clipped to the grid. A wrong step, scale, bias
 * or clip moves codes farther than that. The logits DL4J computes from the file's last codes must be the file's
 * within {@code tolerance}; how often the two runtimes' top-1 agree end to end is reported, not bounded.
 * The file's input is pixels in [0, 1]: the test split's normalized features are turned back into pixels for it.
 */
public final class IntegerAgreement {
    /** Float slack, in levels: the float rounding of a requantization and of the pixels' round trip. */
    private static final double LEVEL_SLACK = 1e-4;

    /** What the two runtimes said. */
    public record Report(long images, long sameTop1, long codesChecked, long codesOffExactRounding,
                         double widestOff, List<String> unexplained) {
        public long top1Differences() {
            return images - sameTop1;
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "%d images: top-1 equal on %d; %d codes checked, %d of them "
                    + "not the exact rounding of DL4J's pre-activation but within the export's bound (the farthest "
                    + "%.3f levels from it); unexplained: %s", images, sameTop1, codesChecked, codesOffExactRounding,
                    widestOff, unexplained.isEmpty() ? "none" : unexplained);
        }
    }

    private IntegerAgreement() {
    }

    public static Report compare(File onnx, IntegerOnnx.Plan plan, ComputationGraph dl4j, DataSetIterator test,
                                 double tolerance) throws Exception {
        return compare(onnx, plan, dl4j, test, tolerance, Long.MAX_VALUE);
    }

    /** As above, on the first {@code limit} images (whole minibatches). */
    public static Report compare(File onnx, IntegerOnnx.Plan plan, ComputationGraph dl4j, DataSetIterator test,
                                 double tolerance, long limit) throws Exception {
        Normalization normalization = org.apprentice.model.pretrained.Pretrained.takesPixels(onnx)
                ? org.apprentice.model.pretrained.Pretrained.normalization(onnx) : null;
        List<IntegerOnnx.Quantizer> quantizers = plan.quantizers();
        File instrumented = RuntimeAgreement.withOutputs(onnx, quantizers.stream().map(IntegerOnnx.Quantizer::layer)
                .toList(), Onnx.TensorProto.DataType.UINT8);
        Tally tally = new Tally(tolerance);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = RuntimeAgreement.sessionOptions();
             OrtSession session = env.createSession(instrumented.getPath(), options);
             OrtSession plain = env.createSession(onnx.getPath(), options)) {
            List<String> wanted = new ArrayList<>(List.of(IntegerOnnx.LOGITS));
            quantizers.forEach(q -> wanted.add(q.layer()));
            while (test.hasNext() && tally.images < limit) {
                DataSet batch = test.next();
                INDArray features = batch.getFeatures().castTo(DataType.FLOAT).dup('c');
                INDArray pixels = pixels(features, normalization);
                Map<String, INDArray> theirs = RuntimeAgreement.run(env, session, IntegerOnnx.INPUT, pixels, wanted);
                INDArray asExported = RuntimeAgreement.run(env, plain, IntegerOnnx.INPUT, pixels,
                        List.of(IntegerOnnx.LOGITS)).get(IntegerOnnx.LOGITS);
                INDArray ourLogits = dl4j.outputSingle(features.dup());
                Recomputed recomputed = new Recomputed(dl4j, features, theirs, quantizers);
                for (IntegerOnnx.Quantizer q : quantizers) {
                    String input = dl4j.getConfiguration().getVertexInputs().get(q.layer()).get(0);
                    tally.layer(q, recomputed.value(input), theirs.get(q.layer()));
                }
                tally.logits(recomputed.value(ResNetBuilder.LOGITS), asExported, theirs.get(IntegerOnnx.LOGITS),
                        ourLogits);
            }
        } finally {
            Files.deleteIfExists(instrumented.toPath());
        }
        return tally.report();
    }

    /**
     * DL4J's vertices evaluated on the file's codes: a quantizer's output is the file's codes times the step, the
     * network input the features, and every other vertex its DL4J forward pass (inference) on those.
     */
    private static final class Recomputed {
        private final ComputationGraph net;
        private final Map<String, INDArray> known = new LinkedHashMap<>();

        Recomputed(ComputationGraph net, INDArray features, Map<String, INDArray> theirs,
                   List<IntegerOnnx.Quantizer> quantizers) {
            this.net = net;
            net.getConfiguration().getNetworkInputs().forEach(in -> known.put(in, features));
            for (IntegerOnnx.Quantizer q : quantizers) {
                known.put(q.layer(), theirs.get(q.layer()).mul(q.step()));
            }
        }

        INDArray value(String name) {
            INDArray v = known.get(name);
            if (v != null) {
                return v;
            }
            org.deeplearning4j.nn.graph.vertex.GraphVertex vertex = net.getVertex(name);
            List<String> inputs = net.getConfiguration().getVertexInputs().get(name);
            List<INDArray> in = new ArrayList<>();
            for (String input : inputs) {
                in.add(value(input));
            }
            for (int i = 0; i < in.size(); i++) {
                vertex.setInput(i, in.get(i).dup(), org.deeplearning4j.nn.workspace.LayerWorkspaceMgr.noWorkspaces());
            }
            INDArray out = vertex.doForward(false, org.deeplearning4j.nn.workspace.LayerWorkspaceMgr.noWorkspaces()).dup();
            vertex.clear();
            known.put(name, out);
            return out;
        }
    }

    /** Normalized features back to pixels in [0, 1] (unchanged when the file takes them normalized). */
    static INDArray pixels(INDArray features, Normalization normalization) {
        return normalization == null ? features : normalization.pixels(features);
    }

    private static final class Tally {
        private final double tolerance;
        private long images;
        private long sameTop1;
        private long codesChecked;
        private long codesOff;
        private double widest;
        private final List<String> unexplained = new ArrayList<>();

        Tally(double tolerance) {
            this.tolerance = tolerance;
        }

        /** Each of the file's codes of {@code q}: the rounding of a value within the bound of DL4J's, clipped. */
        void layer(IntegerOnnx.Quantizer q, INDArray pre, INDArray theirCodes) {
            INDArray exactCodes = org.nd4j.linalg.ops.transforms.Transforms.round(org.nd4j.linalg.ops.transforms
                    .Transforms.min(org.nd4j.linalg.ops.transforms.Transforms.max(pre, 0.0, true), q.levels() * q.step(),
                            false).divi(q.step()), false);
            if (exactCodes.neq(theirCodes.castTo(exactCodes.dataType())).castTo(DataType.INT).sumNumber().longValue() == 0) {
                codesChecked += pre.length(); // fast path: every code is the exact rounding
                return;
            }
            double[] in = pre.castTo(DataType.DOUBLE).dup('c').data().asDouble();
            double[] codes = theirCodes.castTo(DataType.DOUBLE).dup('c').data().asDouble();
            long perImage = in.length / Math.max(1, pre.size(0));
            double high = q.levels() * q.step();
            for (int k = 0; k < in.length; k++) {
                double clipped = Math.min(Math.max(in[k], 0), high);
                double exact = Math.rint(clipped / q.step());
                codesChecked++;
                if (exact == codes[k]) {
                    continue;
                }
                codesOff++;
                double off = Math.abs(clipped - codes[k] * q.step()) - 0.5 * q.step(); // beyond the rounding's own half
                double allowed = q.bound() + LEVEL_SLACK * q.step() * Math.max(1, clipped / q.step());
                widest = Math.max(widest, off / q.step());
                if (off > allowed && unexplained.size() < 10) {
                    unexplained.add(String.format(java.util.Locale.ROOT, "image %d, %s element %d: the file's code "
                            + "%.0f where DL4J's pre-activation %.6g (from the file's own inputs) rounds to %.0f: %.4f "
                            + "levels beyond the rounding, the export allows %.4f", images + k / perImage, q.layer(),
                            k % perImage, codes[k], in[k], exact, off / q.step(), allowed / q.step()));
                }
            }
        }

        /**
         * DL4J's head on the file's last codes gives the file's logits (and the instrumented copy gives the file's
         * own), within {@code tolerance}; end-to-end top-1 agreement is counted.
         */
        void logits(INDArray fromCodes, INDArray asExported, INDArray instrumented, INDArray ours) {
            long n = ours.size(0);
            for (int i = 0; i < n; i++) {
                double head = TorchGolden.relativeError(asExported.getRow(i), fromCodes.getRow(i));
                double copy = TorchGolden.relativeError(instrumented.getRow(i), asExported.getRow(i));
                if ((head > tolerance || copy > tolerance) && unexplained.size() < 10) {
                    unexplained.add("image " + (images + i) + ": logits from the file's codes differ by " + head
                            + " (the instrumented copy's by " + copy + ")");
                }
                sameTop1 += ours.getRow(i).argMax().getInt(0) == asExported.getRow(i).argMax().getInt(0) ? 1 : 0;
            }
            images += n;
        }

        Report report() {
            return new Report(images, sameTop1, codesChecked, codesOff, widest, List.copyOf(unexplained));
        }
    }
}
