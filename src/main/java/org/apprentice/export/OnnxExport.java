package org.apprentice.export;

import java.io.File;
import java.io.IOException;
import java.util.List;
import onnx.Onnx;
import org.apprentice.model.DataRecord;
import org.apprentice.model.ResNetArchitecture;
import org.apprentice.model.ResNetBuilder;
import org.apprentice.quant.ActivationGrid;
import org.apprentice.quant.ActivationQuantization;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
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
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A trained student as a standard ONNX model (opset 13, IR version 7) that any ONNX runtime runs: convolutions
 * and the classifier carry the quantized weights q(W) as float32 (the {@link Exporter#deployable} graph's), batch
 * norm is BatchNormalization in inference form, and a k-bit activation is Clip(0, 1), Mul(2^k-1), Round, Div(2^k-1)
 * (Round is half to even, as Apprentice's). Input {@code input} [batch, C, H, W]: pixels in [0, 1], normalized in the
 * graph by the normalization the model was trained with (where it records one); outputs {@code logits} and
 * {@code probabilities} (softmax). Initializers take torchvision's names (conv1.weight, bn1.running_var, ...), so
 * Apprentice reads a full-precision export back as a teacher. Metadata: the input shape, the class names, the
 * normalization, and that the input is pixels. {@link IntegerOnnx} writes the integer form of the same model.
 */
public final class OnnxExport {
    public static final int OPSET = OnnxGraph.OPSET;
    public static final String INPUT = "input";
    public static final String LOGITS = "logits";
    public static final String PROBABILITIES = "probabilities";

    private final OnnxGraph onnx = new OnnxGraph("apprentice-resnet");
    private final ComputationGraph net;

    private OnnxExport(ComputationGraph deployable) {
        this.net = deployable;
    }

    /**
     * Writes {@code student} (its training graph) as ONNX, atomically, with what it records about its data (input
     * shape, class names and normalization in the metadata; each may be null; the normalization also in the graph).
     */
    public static void write(ComputationGraph student, DataRecord data, File file) throws IOException {
        OnnxGraph.write(model(student, data), file);
    }

    /** The ONNX model of {@code student}. */
    public static Onnx.ModelProto model(ComputationGraph student, DataRecord data) {
        OnnxExport export = new OnnxExport(Exporter.deployable(student));
        export.build(data);
        return export.onnx.model(data, data.normalization() != null);
    }

    private void build(DataRecord data) {
        ComputationGraphConfiguration conf = net.getConfiguration();
        long channels = ((ConvolutionLayer) net.getLayer(ResNetArchitecture.FIRST_CONVOLUTION).conf().getLayer()).getNIn();
        String input = onnx.pixelInput(INPUT, channels, data, data.normalization());
        for (String name : conf.getTopologicalOrderStr()) {
            GraphVertex vertex = conf.getVertices().get(name);
            if (vertex == null) {
                continue; // the network input
            }
            List<String> inputs = conf.getVertexInputs().get(name).stream()
                    .map(v -> conf.getNetworkInputs().contains(v) ? input : tensor(v)).toList();
            if (vertex instanceof ElementWiseVertex add && add.getOp() == ElementWiseVertex.Op.Add) {
                node("Add", name, inputs, name);
            } else if (vertex instanceof LayerVertex lv) {
                layer(name, lv.getLayerConf().getLayer(), inputs.get(0));
            } else {
                throw new IllegalArgumentException("cannot export vertex '" + name + "' (" + vertex.getClass().getSimpleName() + ") to ONNX");
            }
        }
        long classes = ((DenseLayer) net.getLayer(ResNetBuilder.LOGITS).conf().getLayer()).getNOut();
        onnx.output(LOGITS, Onnx.TensorProto.DataType.FLOAT, OnnxGraph.dimension("batch"), OnnxGraph.fixed(classes));
        onnx.output(PROBABILITIES, Onnx.TensorProto.DataType.FLOAT, OnnxGraph.dimension("batch"),
                OnnxGraph.fixed(classes));
    }

    /** The ONNX tensor a DL4J vertex's output is called by. */
    private String tensor(String vertex) {
        return vertex.equals(ResNetBuilder.LOGITS) ? LOGITS : vertex;
    }

    private void layer(String name, org.deeplearning4j.nn.conf.layers.Layer conf, String in) {
        Layer layer = net.getLayer(name);
        if (conf instanceof ConvolutionLayer c) {
            initializer(name + ".weight", layer.getParam("W"));
            node("Conv", name, List.of(in, name + ".weight"), name, ints("kernel_shape", c.getKernelSize()),
                    ints("strides", c.getStride()), ints("pads", c.getPadding()[0], c.getPadding()[1], c.getPadding()[0],
                            c.getPadding()[1]));
        } else if (conf instanceof BatchNormalization bn) {
            batchNorm(name, bn, layer, in);
        } else if (ActivationQuantization.of(conf) != null) {
            quantizedActivation(name, ActivationQuantization.of(conf), layer, in);
        } else if (conf instanceof ActivationLayer a) {
            activation(name, a, in);
        } else if (conf instanceof SubsamplingLayer s && s.getPoolingType() == PoolingType.MAX) {
            node("MaxPool", name, List.of(in), name, ints("kernel_shape", s.getKernelSize()), ints("strides", s.getStride()),
                    ints("pads", s.getPadding()[0], s.getPadding()[1], s.getPadding()[0], s.getPadding()[1]));
        } else if (conf instanceof GlobalPoolingLayer g && g.getPoolingType() == PoolingType.AVG) {
            node("GlobalAveragePool", name + "/pool", List.of(in), name + "/pool");
            node("Flatten", name, List.of(name + "/pool"), name, intAttribute("axis", 1));
        } else if (conf instanceof DenseLayer) {
            initializer("fc.weight", layer.getParam("W").transpose());
            initializer("fc.bias", layer.getParam("b").reshape(-1));
            node("Gemm", name, List.of(in, "fc.weight", "fc.bias"), LOGITS, intAttribute("transB", 1));
        } else if (conf instanceof LossLayer) {
            node("Softmax", name, List.of(in), PROBABILITIES, intAttribute("axis", 1));
        } else {
            throw new IllegalArgumentException("cannot export layer '" + name + "' (" + conf.getClass().getSimpleName() + ") to ONNX");
        }
    }

    /**
     * DL4J's batch norm at inference divides by sqrt(var + eps) with var = (10^log10stdev)² when it keeps the log
     * standard deviation (Apprentice's networks do), which ONNX's BatchNormalization computes from the same var.
     */
    private void batchNorm(String name, BatchNormalization bn, Layer layer, String in) {
        INDArray variance = BatchNormFold.variance(bn, layer);
        initializer(name + ".weight", layer.getParam("gamma").reshape(-1));
        initializer(name + ".bias", layer.getParam("beta").reshape(-1));
        initializer(name + ".running_mean", layer.getParam("mean").reshape(-1));
        initializer(name + ".running_var", variance.reshape(-1));
        node("BatchNormalization", name, List.of(in, name + ".weight", name + ".bias", name + ".running_mean",
                name + ".running_var"), name, OnnxGraph.floatAttribute("epsilon", (float) bn.getEps()));
    }

    /** ReLU (the only full-precision activation a ResNet here has). */
    private void activation(String name, ActivationLayer a, String in) {
        if (!(a.getActivationFn() instanceof ActivationReLU)) {
            throw new IllegalArgumentException("cannot export activation " + a.getActivationFn() + " of layer '" + name + "' to ONNX");
        }
        node("Relu", name, List.of(in), name);
    }

    /**
     * A quantized activation, from its grid. Fixed k-bit: Clip(0, 1), Mul(2^k - 1), Round, Div(2^k - 1) (only Clip when
     * rounding is off); PACT: Clip(0, α), Mul((2^k - 1)/α), Round, Mul(α/(2^k - 1)); LSQ: Div(s), Clip(0, 2^k - 1),
     * Round, Mul(s); a learned one without Round (Identity) when rounding is off.
     */
    private void quantizedActivation(String name, ActivationQuantization quantization, Layer layer, String in) {
        ActivationGrid g = quantization.grid(layer);
        if (!g.set()) {
            throw new IllegalArgumentException("layer '" + name + "' has never quantized an activation: its learned "
                    + quantization.parameters().get(0) + " is unset (a student that has not been trained)");
        }
        int steps = g.levels();
        scalar("zero", 0f);
        switch (g.method()) {
            case FIXED -> {
                scalar("one", 1f);
                if (!g.rounding()) {
                    node("Clip", name, List.of(in, "zero", "one"), name);
                    return;
                }
                String levels = "steps" + g.bits();
                scalar(levels, steps);
                node("Clip", name + "/clip", List.of(in, "zero", "one"), name + "/clip");
                node("Mul", name + "/scale", List.of(name + "/clip", levels), name + "/scale");
                node("Round", name + "/round", List.of(name + "/scale"), name + "/round");
                node("Div", name, List.of(name + "/round", levels), name);
            }
            case PACT -> {
                float alpha = (float) g.high();
                String rounded = name + "/round";
                scalar(name + ".alpha", alpha);
                scalar(name + ".scale_up", steps / alpha);
                scalar(name + ".scale_down", alpha / steps);
                node("Clip", name + "/clip", List.of(in, "zero", name + ".alpha"), name + "/clip");
                node("Mul", name + "/up", List.of(name + "/clip", name + ".scale_up"), name + "/up");
                node(g.rounding() ? "Round" : "Identity", rounded, List.of(name + "/up"), rounded);
                node("Mul", name, List.of(rounded, name + ".scale_down"), name);
            }
            case LSQ -> {
                float step = (float) g.step();
                String rounded = name + "/round";
                scalar(name + ".step", step);
                scalar("levels" + steps, steps);
                node("Div", name + "/unit", List.of(in, name + ".step"), name + "/unit");
                node("Clip", name + "/clip", List.of(name + "/unit", "zero", "levels" + steps), name + "/clip");
                node(g.rounding() ? "Round" : "Identity", rounded, List.of(name + "/clip"), rounded);
                node("Mul", name, List.of(rounded, name + ".step"), name);
            }
        }
    }

    private void node(String op, String name, List<String> inputs, String output, Onnx.AttributeProto... attributes) {
        onnx.node(op, name, inputs, output, attributes);
    }

    private void scalar(String name, float value) {
        onnx.scalar(name, value);
    }

    private void initializer(String name, INDArray value) {
        onnx.floats(name, value);
    }

    private static Onnx.AttributeProto ints(String name, int... values) {
        return OnnxGraph.ints(name, values);
    }

    private static Onnx.AttributeProto intAttribute(String name, long value) {
        return OnnxGraph.intAttribute(name, value);
    }
}
