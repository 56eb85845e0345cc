package org.apprentice.export;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import onnx.Onnx;
import org.apprentice.model.DataRecord;
import org.apprentice.model.InputShape;
import org.apprentice.model.ResNetArchitecture;
import org.apprentice.model.ResNetBuilder;
import org.apprentice.quant.ActivationGrid;
import org.apprentice.quant.ActivationQuantization;
import org.apprentice.quant.WeightGrid;
import org.apprentice.quant.WeightQuantization;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A trained low-precision student as an integer ONNX model in the QDQ form, which ONNX Runtime's CPU provider fuses
 * into integer kernels (DequantizeLinear → Conv → QuantizeLinear becomes QLinearConv, with VNNI where the CPU has it).
 *
 * <ul>
 *   <li>Every quantized convolution that reads quantized activations is integer: its weights are int8 initializers
 *       holding their codes (ternary {-1, 0, 1}, k-bit -levels..levels), one scale per output channel (axis 0), into
 *       which the batch norm that follows is folded (γ/σ per channel, so the codes stay the codes), and an int32 bias
 *       (the batch norm's shift, in units of input scale × weight scale). Its output is quantized on the grid of the
 *       activation quantizer it feeds.</li>
 *   <li>A k-bit activation is a uint8 tensor of codes 0..2^k-1 with the trained step as scale: a 4-bit grid is 16
 *       levels of an 8-bit container (ONNX Runtime's CPU provider has no 4-bit convolutions), clipped to its top code
 *       after the QuantizeLinear.</li>
 *   <li>A residual sum is taken in float. Where its shortcut is a quantized activation (codes in [0, high]), the
 *       convolution's output is quantized first on an int8 grid reaching ±max(high of the sum's quantizer, high of the
 *       shortcut), which is what lets that convolution be integer too: the rounding moves the sum by at most half that
 *       grid, and a value beyond it clips the same. Where the other term is unbounded (a projection shortcut, or the
 *       stem's full-precision ReLU), no int8 grid would hold the sum: a large convolution then accumulates in int32
 *       (ConvInteger, exact) and its output is scaled to float; a small one stays float, where ConvInteger would cost
 *       more ({@link #ACCUMULATING_MIN_MACS}). An activation quantizer after a sum is one QuantizeLinear, which
 *       saturates at 0 (its zero point) by itself, so ONNX Runtime fuses a sum of two quantized terms into
 *       QLinearAdd.</li>
 *   <li>What cannot be integer stays a float convolution, and the plan says why: the first convolution (unless
 *       quantized), a quantized convolution whose input is full precision (the block after the stem reads its ReLU),
 *       and a small one whose residual sum has an unbounded term; its weights stay float (q(W) with the batch norm
 *       folded in), since ONNX Runtime would dequantize int8 codes before every run. The classifier stays float.</li>
 *   <li>The input is pixels in [0, 1], normalized in the graph; class names, input shape and normalization are in the
 *       metadata, as in {@link OnnxExport}.</li>
 * </ul>
 * So the file computes the student's arithmetic except for three roundings, each bounded ({@link Quantizer#bound()}):
 * a float order of summation, the bias rounded to the accumulator's unit, and the residual branch rounded to its int8
 * grid. An activation code can only differ where the student's pre-activation lies within that bound of a rounding
 * boundary.
 */
public final class IntegerOnnx {
    public static final String INPUT = OnnxExport.INPUT;
    public static final String LOGITS = OnnxExport.LOGITS;
    public static final String PROBABILITIES = OnnxExport.PROBABILITIES;

    /**
     * One activation quantizer as exported: the uint8 tensor of its codes (named as the DL4J layer), its step and
     * highest code, and the largest distance between the file's pre-activation and the student's that the export's
     * own roundings allow (bias, residual grid), in the pre-activation's units.
     */
    public record Quantizer(String layer, double step, int levels, double bound) {
    }

    /**
     * What the export made of the student: its integer convolutions (of which {@code accumulating} keep a float output,
     * as ConvInteger), its float convolutions (each with why) and its quantizers.
     */
    public record Plan(List<String> integerConvolutions, List<String> accumulating, Map<String, String> floatConvolutions,
                       List<Quantizer> quantizers) {
        @Override
        public String toString() {
            return integerConvolutions.size() + " integer convolutions" + (accumulating.isEmpty() ? ""
                    : " (" + accumulating.size() + " of them with a float output, ConvInteger)") + ", "
                    + floatConvolutions.size() + " float"
                    + (floatConvolutions.isEmpty() ? "" : " (" + String.join("; ", floatConvolutions.entrySet().stream()
                    .map(e -> e.getKey() + ": " + e.getValue()).toList()) + ")");
        }
    }

    /** A tensor of the graph being written, as the next layer must read it. */
    private sealed interface Value {
        /** How far the tensor may lie from the student's, from the export's roundings above it (0: not at all). */
        double bound();

        /** A float tensor; {@code bound} is how far it may be from the student's (from roundings above it). */
        record Float(String tensor, double bound) implements Value {
        }

        /**
         * A uint8 tensor of activation codes on a grid of {@code step}, at most {@code high} (its top code times the
         * step); the codes are the student's.
         */
        record Codes(String tensor, double step, double high) implements Value {
            @Override
            public double bound() {
                return 0;
            }
        }

        /** An integer convolution's output (float), which must go straight into a QuantizeLinear. */
        record Pending(String tensor, double bound) implements Value {
        }
    }

    /**
     * The size from which a quantized convolution whose output cannot be quantized is written as ConvInteger rather
     * than a float convolution: ONNX Runtime's CPU ConvInteger runs im2col and a uint8 GEMM image by image, and its
     * int32 output takes three more passes (Cast, Mul, Add), which pays only on large convolutions. Measured with
     * {@code bench --deploy} on a 2-core AVX-512 VNNI machine: every such convolution of resnet18 at 224x224 as
     * ConvInteger (the smallest, its 1x1 projections, 6.4M multiply-adds per image) ran faster than with those
     * projections float, at batch 1 and 32; resnet8's and resnet20's (at most 2.4M) all as ConvInteger ran slower
     * than all float. The threshold lies between the two.
     */
    static final long ACCUMULATING_MIN_MACS = 4_000_000;

    /** The offset of ConvInteger's uint8 weight codes (its zero point): int8 codes -127..127 become 1..255. */
    private static final int WEIGHT_OFFSET = 128;

    private final OnnxGraph onnx = new OnnxGraph("apprentice-resnet-integer");
    private final ComputationGraph student;
    private final ComputationGraph net;
    private final ComputationGraphConfiguration conf;
    private final Map<String, Value> values = new LinkedHashMap<>();
    private final Set<String> folded = new HashSet<>();
    private final List<String> integer = new ArrayList<>();
    private final List<String> accumulating = new ArrayList<>();
    private final long minAccumulatingMacs;
    private final Map<String, String> floating = new LinkedHashMap<>();
    private final List<Quantizer> quantizers = new ArrayList<>();
    /** Every vertex's output type at the data's input size, or null when the size is not fixed. */
    private final Map<String, InputType> activationTypes;

    private IntegerOnnx(ComputationGraph student, DataRecord data, long minAccumulatingMacs) {
        this.student = student;
        this.minAccumulatingMacs = minAccumulatingMacs;
        this.net = Exporter.deployable(student);
        this.conf = net.getConfiguration();
        InputShape in = data.input();
        this.activationTypes = in == null ? null
                : conf.getLayerActivationTypes(InputType.convolutional(in.height(), in.width(), in.channels()));
    }

    /** Writes the integer form of {@code student} to {@code file}, atomically; returns what became integer. */
    public static Plan write(ComputationGraph student, DataRecord data, File file) throws IOException {
        return write(student, data, file, ACCUMULATING_MIN_MACS);
    }

    /** As above, with ConvInteger from {@code minAccumulatingMacs} multiply-adds per image (0: wherever it can be). */
    static Plan write(ComputationGraph student, DataRecord data, File file, long minAccumulatingMacs) throws IOException {
        IntegerOnnx export = new IntegerOnnx(student, data, minAccumulatingMacs);
        Onnx.ModelProto model = export.model(data);
        OnnxGraph.write(model, file);
        return export.plan();
    }

    /**
     * Writes the integer form when it has an integer convolution (a quantized one reading quantized activations) and
     * returns what became integer; otherwise writes nothing and returns null.
     */
    public static Plan writeIfInteger(ComputationGraph student, DataRecord data, File file) throws IOException {
        if (!hasQuantizedConvolution(student)) {
            return null;
        }
        IntegerOnnx export = new IntegerOnnx(student, data, ACCUMULATING_MIN_MACS);
        Onnx.ModelProto model = export.model(data);
        if (export.integer.isEmpty()) {
            return null;
        }
        OnnxGraph.write(model, file);
        return export.plan();
    }

    /** The integer ONNX model of {@code student}, and what became integer. */
    public static Map.Entry<Onnx.ModelProto, Plan> model(ComputationGraph student, DataRecord data) {
        IntegerOnnx export = new IntegerOnnx(student, data, ACCUMULATING_MIN_MACS);
        Onnx.ModelProto model = export.model(data);
        return Map.entry(model, export.plan());
    }

    /** Whether {@code student} has anything to make integer: a quantized convolution. */
    public static boolean hasQuantizedConvolution(ComputationGraph student) {
        for (Layer layer : student.getLayers()) {
            if (layer.conf().getLayer() instanceof ConvolutionLayer && WeightQuantization.of(layer.conf().getLayer()) != null) {
                return true;
            }
        }
        return false;
    }

    private Plan plan() {
        return new Plan(List.copyOf(integer), List.copyOf(accumulating), java.util.Collections.unmodifiableMap(floating),
                List.copyOf(quantizers));
    }

    private Onnx.ModelProto model(DataRecord data) {
        long channels = ((ConvolutionLayer) net.getLayer(ResNetArchitecture.FIRST_CONVOLUTION).conf().getLayer()).getNIn();
        String input = onnx.pixelInput(INPUT, channels, data, data.normalization());
        onnx.uint8("zero.u8", new byte[] {0});
        for (String name : conf.getNetworkInputs()) {
            values.put(name, new Value.Float(input, 0));
        }
        for (String name : conf.getTopologicalOrderStr()) {
            GraphVertex vertex = conf.getVertices().get(name);
            if (vertex == null || folded.contains(name)) {
                continue; // the network input, or a batch norm folded into its convolution
            }
            List<String> inputs = conf.getVertexInputs().get(name);
            if (vertex instanceof ElementWiseVertex add && add.getOp() == ElementWiseVertex.Op.Add) {
                add(name, inputs);
            } else if (vertex instanceof LayerVertex lv) {
                layer(name, lv.getLayerConf().getLayer(), values.get(inputs.get(0)));
            } else {
                throw new IllegalArgumentException("cannot export vertex '" + name + "' ("
                        + vertex.getClass().getSimpleName() + ") to integer ONNX");
            }
        }
        long classes = ((DenseLayer) net.getLayer(ResNetBuilder.LOGITS).conf().getLayer()).getNOut();
        onnx.output(LOGITS, Onnx.TensorProto.DataType.FLOAT, OnnxGraph.dimension("batch"), OnnxGraph.fixed(classes));
        onnx.output(PROBABILITIES, Onnx.TensorProto.DataType.FLOAT, OnnxGraph.dimension("batch"),
                OnnxGraph.fixed(classes));
        return onnx.model(data, data.normalization() != null);
    }

    private void layer(String name, org.deeplearning4j.nn.conf.layers.Layer layerConf, Value in) {
        ActivationQuantization quantization = ActivationQuantization.of(student.getLayer(name).conf().getLayer());
        if (layerConf instanceof ConvolutionLayer c) {
            convolution(name, c, in);
        } else if (quantization != null) {
            quantize(name, quantization.grid(student.getLayer(name)), in);
        } else if (layerConf instanceof ActivationLayer a) {
            if (!(a.getActivationFn() instanceof ActivationReLU)) {
                throw new IllegalArgumentException("cannot export activation " + a.getActivationFn() + " of layer '"
                        + name + "' to ONNX");
            }
            if (in instanceof Value.Codes) {
                values.put(name, asFloat(name, in)); // codes are never negative: ReLU does nothing
            } else {
                onnx.node("Relu", name, List.of(floatTensor(name, in)), name);
                values.put(name, new Value.Float(name, in.bound()));
            }
        } else if (layerConf instanceof SubsamplingLayer s && s.getPoolingType() == PoolingType.MAX) {
            String x = in instanceof Value.Codes codes ? codes.tensor() : floatTensor(name, in);
            onnx.node("MaxPool", name, List.of(x), name, OnnxGraph.ints("kernel_shape", s.getKernelSize()),
                    OnnxGraph.ints("strides", s.getStride()), OnnxGraph.ints("pads", s.getPadding()[0],
                            s.getPadding()[1], s.getPadding()[0], s.getPadding()[1]));
            values.put(name, in instanceof Value.Codes codes ? new Value.Codes(name, codes.step(), codes.high())
                    : new Value.Float(name, in.bound()));
        } else if (layerConf instanceof GlobalPoolingLayer g && g.getPoolingType() == PoolingType.AVG) {
            onnx.node("GlobalAveragePool", name + "/pool", List.of(floatTensor(name, in)), name + "/pool");
            onnx.node("Flatten", name, List.of(name + "/pool"), name, OnnxGraph.intAttribute("axis", 1));
            values.put(name, new Value.Float(name, in.bound()));
        } else if (layerConf instanceof DenseLayer) {
            Layer fc = net.getLayer(name);
            onnx.floats("fc.weight", fc.getParam("W").transpose());
            onnx.floats("fc.bias", fc.getParam("b").reshape(-1));
            onnx.node("Gemm", name, List.of(floatTensor(name, in), "fc.weight", "fc.bias"), LOGITS,
                    OnnxGraph.intAttribute("transB", 1));
            values.put(name, new Value.Float(LOGITS, in.bound()));
        } else if (layerConf instanceof LossLayer) {
            onnx.node("Softmax", name, List.of(floatTensor(name, in)), PROBABILITIES, OnnxGraph.intAttribute("axis", 1));
        } else {
            throw new IllegalArgumentException("cannot export layer '" + name + "' ("
                    + layerConf.getClass().getSimpleName() + ") to integer ONNX");
        }
    }

    /**
     * A convolution with the batch norm that follows it folded in: integer when its weights are quantized to codes
     * with one scale per tensor or channel, its input is codes, and its output feeds a quantizer (directly or
     * through a residual sum); float otherwise, saying why.
     */
    private void convolution(String name, ConvolutionLayer c, Value in) {
        String bnName = onlyConsumer(name);
        if (!(conf.getVertices().get(bnName) instanceof LayerVertex bnVertex
                && bnVertex.getLayerConf().getLayer() instanceof BatchNormalization bn)) {
            throw new IllegalArgumentException("cannot export convolution '" + name + "' to integer ONNX: it is not "
                    + "followed by a batch norm");
        }
        folded.add(bnName);
        BatchNormFold fold = BatchNormFold.of(bn, net.getLayer(bnName));
        Layer studentLayer = student.getLayer(name);
        WeightQuantization q = WeightQuantization.of(studentLayer.conf().getLayer());
        WeightGrid grid = q == null ? null : q.grid(studentLayer);
        String why = q == null ? "full-precision weights"
                : grid.scaling() == WeightGrid.Scaling.POSITIVE_NEGATIVE ? "TTQ's two scales are not one scale per channel"
                : !(in instanceof Value.Codes) ? "its input is full precision (not quantized activations)"
                : blocker(bnName);
        Onnx.AttributeProto[] geometry = {OnnxGraph.ints("kernel_shape", c.getKernelSize()),
                OnnxGraph.ints("strides", c.getStride()), OnnxGraph.ints("pads", c.getPadding()[0], c.getPadding()[1],
                c.getPadding()[0], c.getPadding()[1])};
        boolean accumulate = why != null && grid != null && in instanceof Value.Codes
                && grid.scaling() != WeightGrid.Scaling.POSITIVE_NEGATIVE;
        long macs = multiplyAccumulates(name, c);
        if (accumulate && macs < minAccumulatingMacs) {
            why += ", and at " + (macs < 0 ? "an unknown input size"
                    : String.format(java.util.Locale.ROOT, "%,d multiply-adds per image", macs))
                    + " ONNX Runtime's ConvInteger costs more than a float convolution";
            accumulate = false;
        }
        if (accumulate) {
            integer.add(name); // the output cannot be quantized, the accumulation can
            accumulating.add(name);
            accumulatingConvolution(name, bnName, fold, grid, (Value.Codes) in, geometry);
        } else if (why != null) {
            floating.put(name, why);
            floatConvolution(name, bnName, fold, in, geometry);
        } else {
            integer.add(name);
            integerConvolution(name, bnName, fold, grid, (Value.Codes) in, geometry);
        }
    }

    /**
     * A float convolution with the batch norm folded in. Its weights stay float (q(W)·γ/σ): ONNX Runtime would
     * dequantize int8 codes before every run (it does not fold a DequantizeLinear into a constant, to keep QDQ groups
     * whole), which costs more than the smaller file saves.
     */
    private void floatConvolution(String name, String bnName, BatchNormFold fold, Value in,
                                  Onnx.AttributeProto[] geometry) {
        INDArray w = net.getLayer(name).getParam("W").castTo(DataType.DOUBLE);
        for (int k = 0; k < fold.channels(); k++) {
            w.slice(k).muli(fold.multiplier()[k]);
        }
        onnx.floats(name + "/w", w);
        onnx.floats(name + ".bias", toFloats(fold.shift()), fold.channels());
        onnx.node("Conv", name, List.of(floatTensor(name, in), name + "/w", name + ".bias"), bnName, geometry);
        values.put(bnName, new Value.Float(bnName, in.bound()));
    }

    /**
     * An integer convolution in QDQ form: DequantizeLinear of the input codes, of the int8 weight codes (per-channel
     * scales with the batch norm folded in) and of the int32 bias (the batch norm's shift in the accumulator's unit,
     * input step × weight scale), then Conv, whose output the next node quantizes. Its bound: the bias's rounding.
     */
    private void integerConvolution(String name, String bnName, BatchNormFold fold, WeightGrid grid, Value.Codes in,
                                    Onnx.AttributeProto[] geometry) {
        int out = fold.channels();
        float[] scales = weightCodes(name, grid, fold.multiplier(), net.getLayer(name).getParam("W").shape(), 0);
        int[] bias = new int[out];
        float[] biasScales = new float[out];
        double bound = 0;
        for (int k = 0; k < out; k++) {
            biasScales[k] = (float) (in.step() * (double) scales[k]);
            bias[k] = scales[k] == 0 ? 0 : (int) Math.round(fold.shift()[k] / biasScales[k]);
            bound = Math.max(bound, Math.abs(bias[k] * (double) biasScales[k] - fold.shift()[k]));
        }
        onnx.floats(name + ".weight.scale", scales, out);
        onnx.int8(name + ".weight.zero", new byte[out], out);
        onnx.int32(name + ".bias.int", bias, out);
        onnx.floats(name + ".bias.scale", biasScales, out);
        onnx.int32(name + ".bias.zero", new int[out], out);
        onnx.node("DequantizeLinear", name + "/x", List.of(in.tensor(), step(in.step()), "zero.u8"), name + "/x");
        onnx.node("DequantizeLinear", name + "/w", List.of(name + ".weight.codes", name + ".weight.scale",
                name + ".weight.zero"), name + "/w", OnnxGraph.intAttribute("axis", 0));
        onnx.node("DequantizeLinear", name + "/b", List.of(name + ".bias.int", name + ".bias.scale", name + ".bias.zero"),
                name + "/b", OnnxGraph.intAttribute("axis", 0));
        onnx.node("Conv", name, List.of(name + "/x", name + "/w", name + "/b"), bnName, geometry);
        values.put(bnName, new Value.Pending(bnName, bound));
    }

    /**
     * An integer convolution whose output stays float, for a quantized convolution reading codes whose output no int8
     * grid would hold (its residual sum has an unbounded term: a projection shortcut or the stem's ReLU). ConvInteger
     * accumulates the input codes times the weight codes exactly in int32 (ONNX Runtime's CPU kernel takes uint8
     * weights with one zero point, so the codes are stored offset by 128); the accumulator times input step × weight
     * scale, plus the batch norm's shift, is the student's pre-activation up to float rounding: no bound is added.
     */
    private void accumulatingConvolution(String name, String bnName, BatchNormFold fold, WeightGrid grid,
                                         Value.Codes in, Onnx.AttributeProto[] geometry) {
        int out = fold.channels();
        long[] shape = net.getLayer(name).getParam("W").shape();
        float[] scales = weightCodes(name, grid, fold.multiplier(), shape, WEIGHT_OFFSET);
        float[] multipliers = new float[out];
        for (int k = 0; k < out; k++) {
            multipliers[k] = (float) (in.step() * (double) scales[k]);
        }
        onnx.uint8("weight.zero.u8", new byte[] {(byte) WEIGHT_OFFSET});
        onnx.floats(name + ".accumulator.scale", multipliers, out, 1, 1);
        onnx.floats(name + ".bias", toFloats(fold.shift()), out, 1, 1);
        onnx.node("ConvInteger", name + "/acc", List.of(in.tensor(), name + ".weight.codes", "zero.u8",
                "weight.zero.u8"), name + "/acc", geometry);
        onnx.node("Cast", name + "/float", List.of(name + "/acc"), name + "/float",
                OnnxGraph.intAttribute("to", Onnx.TensorProto.DataType.FLOAT_VALUE));
        onnx.node("Mul", name + "/scale", List.of(name + "/float", name + ".accumulator.scale"), name + "/scale");
        onnx.node("Add", name, List.of(name + "/scale", name + ".bias"), bnName);
        values.put(bnName, new Value.Float(bnName, 0));
    }

    /** The multiply-adds of convolution {@code name} for one image, or -1 when the input size is not known. */
    private long multiplyAccumulates(String name, ConvolutionLayer c) {
        if (activationTypes == null) {
            return -1;
        }
        InputType.InputTypeConvolutional out = (InputType.InputTypeConvolutional) activationTypes.get(name);
        return out.getHeight() * out.getWidth() * c.getNOut() * c.getNIn() * c.getKernelSize()[0] * c.getKernelSize()[1];
    }

    /** The per-output-channel scales of a layer's codes with the batch norm folded in: |scale · γ/σ|. */
    private static float[] weightScales(WeightGrid grid, double[] multiplier) {
        float[] scales = new float[multiplier.length];
        for (int k = 0; k < multiplier.length; k++) {
            scales[k] = (float) Math.abs(grid.scales()[grid.scaling() == WeightGrid.Scaling.PER_CHANNEL ? k : 0]
                    * multiplier[k]);
        }
        return scales;
    }

    /**
     * Writes the layer's weight codes as an int8 initializer ({@code NAME.weight.codes}, the weight's shape) and
     * returns their per-channel scales; a channel whose folded scale is negative (a negative γ) has its codes negated.
     */
    private float[] weightCodes(String name, WeightGrid grid, double[] multiplier, long[] shape, int offset) {
        int out = multiplier.length;
        double[] c64 = grid.codes().castTo(DataType.DOUBLE).dup('c').data().asDouble();
        long perChannel = c64.length / out;
        byte[] weights = new byte[c64.length];
        for (int k = 0; k < out; k++) {
            double scale = grid.scales()[grid.scaling() == WeightGrid.Scaling.PER_CHANNEL ? k : 0] * multiplier[k];
            int sign = scale < 0 ? -1 : 1;
            for (long i = k * perChannel; i < (k + 1) * perChannel; i++) {
                long code = Math.round(c64[(int) i]) * sign;
                if (Math.abs(code) > 127) {
                    throw new IllegalArgumentException("layer '" + name + "': code " + code + " does not fit int8");
                }
                weights[(int) i] = (byte) (code + offset);
            }
        }
        if (offset == 0) {
            onnx.int8(name + ".weight.codes", weights, shape);
        } else {
            onnx.uint8(name + ".weight.codes", weights, shape);
        }
        return weightScales(grid, multiplier);
    }

    /** An activation quantizer: its input rounded onto its grid as uint8 codes 0..levels. */
    private void quantize(String name, ActivationGrid g, Value in) {
        if (!g.rounding()) {
            throw new IllegalArgumentException("layer '" + name + "' does not round its activations: an integer export "
                    + "needs rounding quantizers");
        }
        if (!g.set()) {
            throw new IllegalArgumentException("layer '" + name + "' has never quantized an activation: its learned "
                    + "step or clip is unset (a student that has not been trained)");
        }
        if (g.low() != 0 || g.levels() > 255 || g.signed()) {
            throw new IllegalArgumentException("layer '" + name + "': a grid of " + g.levels() + " levels from "
                    + g.low() + " does not fit a uint8 from 0");
        }
        String q = name + "/q";
        String x = in instanceof Value.Pending p ? p.tensor() : floatTensor(name, in);
        onnx.node("QuantizeLinear", q, List.of(x, step(g.step()), "zero.u8"), g.levels() < 255 ? q : name);
        if (g.levels() < 255) {
            onnx.uint8("top.u8." + g.levels(), new byte[] {(byte) g.levels()});
            onnx.node("Clip", name, List.of(q, "zero.u8", "top.u8." + g.levels()), name);
        }
        values.put(name, new Value.Codes(name, g.step(), g.high()));
        quantizers.add(new Quantizer(name, g.step(), g.levels(), in.bound()));
    }

    /**
     * A residual sum, in float. An integer convolution's output is rounded first onto an int8 grid reaching
     * ±max(high, the other terms' highs) (high: the top of the clip that follows the sum): beyond it the sum clips the
     * same way, since the other terms are codes in [0, their high].
     */
    private void add(String name, List<String> inputs) {
        double high = highOfQuantizer(onlyConsumer(name));
        for (String input : inputs) {
            if (values.get(input) instanceof Value.Codes codes) {
                high = Math.max(high, codes.high());
            }
        }
        double grid = high / 127;
        List<String> terms = new ArrayList<>();
        double bound = 0;
        for (String input : inputs) {
            Value v = values.get(input);
            if (v instanceof Value.Pending p) {
                onnx.int8("zero.i8", new byte[] {0});
                String scale = name + ".grid";
                onnx.scalar(scale, (float) grid);
                onnx.node("QuantizeLinear", input + "/q", List.of(p.tensor(), scale, "zero.i8"), input + "/q");
                onnx.node("DequantizeLinear", input + "/dq", List.of(input + "/q", scale, "zero.i8"), input + "/dq");
                terms.add(input + "/dq");
                bound += p.bound() + grid / 2;
            } else {
                terms.add(floatTensor(input, v));
                bound += v.bound();
            }
        }
        onnx.node("Add", name, terms, name);
        values.put(name, new Value.Float(name, bound));
    }

    /**
     * Why a convolution whose batch norm is {@code bnName} cannot have an integer output, or null when it can: its
     * output must feed a quantizer directly, or through a residual sum whose other terms are all quantized activations
     * (codes in [0, high], so rounding this branch on a grid that reaches past them changes nothing by saturating; a
     * float or convolution term is unbounded, and the branch then stays float).
     */
    private String blocker(String bnName) {
        String next = onlyConsumer(bnName);
        if (next != null && conf.getVertices().get(next) instanceof ElementWiseVertex) {
            for (String other : conf.getVertexInputs().get(next)) {
                if (!other.equals(bnName) && !(values.get(other) instanceof Value.Codes)) {
                    return "its residual sum adds " + other + ", which is not quantized, so no int8 grid bounds the sum";
                }
            }
            next = onlyConsumer(next);
        }
        return next != null && quantizerOf(next) != null ? null : "its output does not feed an activation quantizer";
    }

    private double highOfQuantizer(String name) {
        ActivationQuantization q = quantizerOf(name);
        if (q == null) {
            return 0;
        }
        return q.grid(student.getLayer(name)).high();
    }

    private ActivationQuantization quantizerOf(String name) {
        Layer layer = name == null ? null : student.getLayer(name);
        return layer == null ? null : ActivationQuantization.of(layer.conf().getLayer());
    }

    /** The one vertex reading {@code name}'s output, or null when none or several do. */
    private String onlyConsumer(String name) {
        String found = null;
        for (Map.Entry<String, List<String>> e : conf.getVertexInputs().entrySet()) {
            if (e.getValue().contains(name)) {
                if (found != null) {
                    return null;
                }
                found = e.getKey();
            }
        }
        return found;
    }

    /** {@code v} as a float tensor: codes dequantized (exactly code · step), floats as they are. */
    private String floatTensor(String reader, Value v) {
        if (v instanceof Value.Pending p) {
            throw new IllegalStateException("integer convolution output " + p.tensor() + " read by " + reader
                    + " without a quantizer");
        }
        return v instanceof Value.Codes c ? asFloat(c.tensor(), c).tensor() : ((Value.Float) v).tensor();
    }

    private Value.Float asFloat(String name, Value in) {
        Value.Codes c = (Value.Codes) in;
        String out = c.tensor() + "/dq";
        if (!values.containsKey(out)) {
            onnx.node("DequantizeLinear", out, List.of(c.tensor(), step(c.step()), "zero.u8"), out);
            values.put(out, new Value.Float(out, 0));
        }
        return new Value.Float(out, 0);
    }

    /** The scalar initializer holding a grid's step. */
    private String step(double step) {
        String name = "step." + (float) step;
        onnx.scalar(name, (float) step);
        return name;
    }

    private static float[] toFloats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }
}
