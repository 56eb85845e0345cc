package org.apprentice.model;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.apprentice.quant.ActivationMethod;
import org.apprentice.quant.KBitWeights;
import org.apprentice.quant.LearnedActivation;
import org.apprentice.quant.LearnedConvolution;
import org.apprentice.quant.LearnedWeights;
import org.apprentice.quant.QuantizedActivation;
import org.apprentice.quant.WeightMethod;
import org.apprentice.quant.QuantizedWeights;
import org.apprentice.nn.LayerKernels;
import org.apprentice.runtime.Backend;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Builds any registered ResNet as a DL4J {@link ComputationGraph}, teacher or student alike: the
 * depth table gives the stages, the block type gives their layers, and the precision spec is asked
 * for each weighted layer by name.
 *
 * <p>Layer names follow torchvision ({@code conv1, bn1, relu, maxpool, layer1.0.conv1, ...,
 * layer1.0.downsample.0, avgpool, fc}) so that per-layer overrides read as in PyTorch; the logits
 * come out of {@code fc}, and {@code output} is a parameter-free softmax cross-entropy loss layer
 * that the distillation loss can replace. Every ReLU is its own {@code ActivationLayer}: M2.1
 * ignores {@code BatchNormalization.Builder().activation(...)}.
 */
public final class ResNetBuilder {
    public static final String INPUT = "input";
    public static final String LOGITS = ResNetArchitecture.CLASSIFIER;
    public static final String OUTPUT = "output";

    private final ResNetConfig config;
    private final LayerKernels kernels;
    private final GraphBuilder graph;
    private final java.util.LinkedHashSet<String> weightedLayers = new java.util.LinkedHashSet<>();

    private ResNetBuilder(ResNetConfig config, LayerKernels kernels) {
        config.validate();
        this.config = config;
        this.kernels = kernels;
        this.graph = training(config)
                .weightInit(WeightInit.RELU)
                .convolutionMode(ConvolutionMode.Truncate)
                .graphBuilder()
                .addInputs(INPUT)
                .setInputTypes(InputType.convolutional(config.input().height(), config.input().width(),
                        config.input().channels()));
    }

    /**
     * The training settings every network shares: seed, data type, the updater, and weight decay as L2 on the
     * gradient before the updater (DL4J's {@code l2}), the form of {@code torch.optim.SGD(weight_decay=...)}
     * and of the torchvision and timm recipes. DL4J's {@code weightDecay} would instead subtract
     * lr·wd·w after the updater, outside the momentum: about 10x weaker at momentum 0.9 for the same number.
     * ({@link WeightDecay#DECOUPLED} keeps that form.) L2 applies to convolution and dense weights, not to biases nor to batch norm's γ and β (DL4J's batch
     * norm takes no regularisation), as timm's recipes exclude them.
     */
    public static NeuralNetConfiguration.Builder training(ResNetConfig config) {
        NeuralNetConfiguration.Builder builder = new NeuralNetConfiguration.Builder()
                .seed(config.seed())
                .dataType(config.dataType())
                .updater(config.updater());
        return config.decay() == WeightDecay.L2 ? builder.l2(config.weightDecay())
                : builder.weightDecay(config.weightDecay(), true);
    }

    /** An initialised network, with the CPU speed settings applied and verified. */
    public static ComputationGraph build(ResNetConfig config) {
        return build(config, OutputHead.softmaxCrossEntropy());
    }

    /** An initialised network whose output layer has the given loss and activation. */
    public static ComputationGraph build(ResNetConfig config, OutputHead head) {
        return build(configuration(config, head));
    }

    /** An initialised network from a configuration, with the CPU speed settings applied and verified. */
    public static ComputationGraph build(ComputationGraphConfiguration configuration) {
        Backend.configure();
        ComputationGraph network = new ComputationGraph(configuration);
        network.init();
        Backend.requireFastHelpers(network);
        return network;
    }

    public static ComputationGraphConfiguration configuration(ResNetConfig config) {
        return configuration(config, LayerKernels.FAST);
    }

    /** The network with its convolutions, batch norms and ReLUs computed by {@code kernels}. */
    public static ComputationGraphConfiguration configuration(ResNetConfig config, LayerKernels kernels) {
        return withInsertionOrder(graphBuilder(config, kernels).build());
    }

    public static ComputationGraphConfiguration configuration(ResNetConfig config, OutputHead head) {
        return withHead(configuration(config), head);
    }

    /** A copy of {@code conf} whose {@code output} layer has the head's loss and activation. */
    public static ComputationGraphConfiguration withHead(ComputationGraphConfiguration conf, OutputHead head) {
        ComputationGraphConfiguration copy = conf.clone();
        GraphVertex vertex = copy.getVertices().get(OUTPUT);
        if (!(vertex instanceof LayerVertex lv) || !(lv.getLayerConf().getLayer() instanceof LossLayer loss)) {
            throw new IllegalArgumentException("network has no '" + OUTPUT + "' loss layer to put a head on");
        }
        loss.setLossFn(head.loss());
        loss.setActivationFn(head.activation());
        return withInsertionOrder(copy);
    }

    /**
     * Fixes the graph's topological order to the order in which layers were added (which the builder
     * keeps topological). DL4J otherwise sorts with hash sets, so its flattened parameter vector
     * follows one order while {@code paramTable()} follows another; tools that name vector entries
     * by walking the table, such as {@code GradientCheckUtil}, then mislabel (and fail to exclude)
     * parameters. The order is stored in the configuration JSON, so restored models keep it.
     */
    static ComputationGraphConfiguration withInsertionOrder(ComputationGraphConfiguration conf) {
        List<String> order = new ArrayList<>(conf.getNetworkInputs());
        order.addAll(conf.getVertices().keySet());
        Set<String> seen = new HashSet<>(conf.getNetworkInputs());
        for (String name : conf.getVertices().keySet()) {
            for (String input : conf.getVertexInputs().getOrDefault(name, List.of())) {
                if (!seen.contains(input)) {
                    throw new IllegalStateException("layer '" + name + "' was added before its input '" + input + "'");
                }
            }
            seen.add(name);
        }
        conf.setTopologicalOrderStr(order);
        conf.setTopologicalOrder(IntStream.range(0, order.size()).toArray());
        return conf;
    }

    /** The graph before {@code build()}, for inspection or for adding heads. */
    public static GraphBuilder graphBuilder(ResNetConfig config) {
        return graphBuilder(config, LayerKernels.FAST);
    }

    private static GraphBuilder graphBuilder(ResNetConfig config, LayerKernels kernels) {
        ResNetBuilder builder = new ResNetBuilder(config, kernels);
        builder.assemble();
        return builder.graph;
    }

    private void assemble() {
        ResNetArchitecture arch = config.architecture();
        StemShape shape = arch.shape();
        int channels = config.scaled(shape.stemWidth());
        String x = stem(channels);
        int[] widths = shape.stageWidths();
        int[] depths = arch.stageDepths();
        for (int stage = 0; stage < depths.length; stage++) {
            int width = config.scaled(widths[stage]);
            for (int block = 0; block < depths[stage]; block++) {
                int stride = (stage > 0 && block == 0) ? 2 : 1;
                String prefix = "layer" + (stage + 1) + "." + block + ".";
                x = arch.block() == BlockType.BASIC
                        ? basicBlock(prefix, x, channels, width, stride)
                        : bottleneckBlock(prefix, x, channels, width, stride);
                channels = width * arch.block().expansion();
            }
        }
        head(x);
        checkOverrides();
    }

    private String stem(int width) {
        boolean imagenet = config.architecture().shape() == StemShape.IMAGENET;
        int kernel = imagenet ? 7 : 3;
        String stem = ResNetArchitecture.FIRST_CONVOLUTION;
        String x = conv(stem, INPUT, kernel, imagenet ? 2 : 1, kernel / 2, width, LayerRole.FIRST);
        x = batchNorm("bn1", x);
        x = relu("relu", x, stem, LayerRole.FIRST);
        if (imagenet) {
            graph.addLayer("maxpool", new SubsamplingLayer.Builder(PoolingType.MAX)
                    .kernelSize(3, 3).stride(2, 2).padding(1, 1).build(), x);
            x = "maxpool";
        }
        return x;
    }

    private String basicBlock(String p, String in, int inChannels, int width, int stride) {
        String shortcut = shortcut(p, in, inChannels, width, stride);
        String x = conv(p + "conv1", in, 3, stride, 1, width, LayerRole.BODY);
        x = batchNorm(p + "bn1", x);
        x = relu(p + "relu1", x, p + "conv1", LayerRole.BODY);
        x = conv(p + "conv2", x, 3, 1, 1, width, LayerRole.BODY);
        x = batchNorm(p + "bn2", x);
        return residual(p, x, shortcut, p + "conv2");
    }

    private String bottleneckBlock(String p, String in, int inChannels, int width, int stride) {
        int outChannels = width * BlockType.BOTTLENECK.expansion();
        String shortcut = shortcut(p, in, inChannels, outChannels, stride);
        String x = conv(p + "conv1", in, 1, 1, 0, width, LayerRole.BODY);
        x = batchNorm(p + "bn1", x);
        x = relu(p + "relu1", x, p + "conv1", LayerRole.BODY);
        x = conv(p + "conv2", x, 3, stride, 1, width, LayerRole.BODY);
        x = batchNorm(p + "bn2", x);
        x = relu(p + "relu2", x, p + "conv2", LayerRole.BODY);
        x = conv(p + "conv3", x, 1, 1, 0, outChannels, LayerRole.BODY);
        x = batchNorm(p + "bn3", x);
        return residual(p, x, shortcut, p + "conv3");
    }

    /** The identity, or a 1x1 projection + BN where the shape changes (He et al.'s option B). */
    private String shortcut(String p, String in, int inChannels, int outChannels, int stride) {
        if (stride == 1 && inChannels == outChannels) {
            return in;
        }
        String x = conv(p + "downsample.0", in, 1, stride, 0, outChannels, LayerRole.BODY);
        return batchNorm(p + "downsample.1", x);
    }

    /** Adds the shortcut to the main path, then the block's ReLU (at the precision of its last conv). */
    private String residual(String p, String main, String shortcut, String lastConv) {
        graph.addVertex(p + "add", new ElementWiseVertex(ElementWiseVertex.Op.Add), main, shortcut);
        return relu(p + "relu", p + "add", lastConv, LayerRole.BODY);
    }

    private void head(String in) {
        graph.addLayer("avgpool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), in);
        DenseLayer.Builder fc = new DenseLayer.Builder().nOut(config.numClasses())
                .activation(Activation.IDENTITY).weightInit(WeightInit.XAVIER);
        LayerPrecision precision = precisionOf(LOGITS, LayerRole.LAST);
        if (!precision.fullPrecisionWeights()) {
            fc.weightNoise(weightQuantizer(precision));
        }
        graph.addLayer(LOGITS, fc.build(), "avgpool");
        graph.addLayer(OUTPUT, new LossLayer.Builder(LossFunctions.LossFunction.MCXENT)
                .activation(Activation.SOFTMAX).build(), LOGITS);
        graph.setOutputs(OUTPUT);
    }

    /** A convolution (no bias: batch norm follows); quantized weights where the spec says so. */
    private String conv(String name, String in, int kernel, int stride, int padding, int nOut, LayerRole role) {
        ConvolutionLayer.Builder conv = new ConvolutionLayer.Builder(kernel, kernel).stride(stride, stride)
                .padding(padding, padding).nOut(nOut).hasBias(false).activation(Activation.IDENTITY);
        LayerPrecision precision = precisionOf(name, role);
        PrecisionSpec spec = config.precision();
        if (!precision.fullPrecisionWeights() && spec.weights() != WeightMethod.FIXED) {
            LearnedWeights learned = new LearnedWeights(spec.weights(), precision.weightBits(),
                    spec.weightScaling() == KBitWeights.Scaling.PER_CHANNEL, spec.roundingEnabled());
            graph.addLayer(name, new LearnedConvolution(conv, learned), in);
            return name;
        }
        if (!precision.fullPrecisionWeights()) {
            conv.weightNoise(weightQuantizer(precision));
        }
        graph.addLayer(name, kernels.convolution(conv), in);
        return name;
    }

    private String batchNorm(String name, String in) {
        graph.addLayer(name, kernels.batchNorm(1e-5, 0.9), in);
        return name;
    }

    /**
     * The nonlinearity after {@code producer}'s batch norm: a ReLU, or, where the producer's activations
     * are quantized, the k-bit activation quantizer (clip to [0, 1] and round), which replaces it.
     */
    private String relu(String name, String in, String producer, LayerRole role) {
        LayerPrecision precision = precisionOf(producer, role);
        if (!precision.fullPrecisionActivations() && config.precision().activations() != ActivationMethod.FIXED) {
            graph.addLayer(name, new LearnedActivation(config.precision().activations(), precision.activationBits(),
                    config.precision().roundingEnabled()), in);
            return name;
        }
        graph.addLayer(name, precision.fullPrecisionActivations() ? kernels.relu()
                : kernels.activation(new QuantizedActivation(precision.activationBits(),
                        config.precision().roundingEnabled())), in);
        return name;
    }

    private LayerPrecision precisionOf(String layerName, LayerRole role) {
        weightedLayers.add(layerName);
        return config.precision().forLayer(layerName, role);
    }

    private QuantizedWeights weightQuantizer(LayerPrecision precision) {
        return new QuantizedWeights(precision.weightBits(), config.precision().weightScaling(),
                config.precision().roundingEnabled());
    }

    /** Every override must name a weighted layer (a convolution or {@code fc}). */
    private void checkOverrides() {
        for (String name : config.precision().overrides().keySet()) {
            if (!weightedLayers.contains(name)) {
                throw new IllegalArgumentException("precision override names no weighted layer of "
                        + config.architecture().name() + ": '" + name + "' (weighted layers: "
                        + String.join(", ", weightedLayers.stream().limit(6).toList()) + ", ..., fc)");
            }
        }
    }
}
