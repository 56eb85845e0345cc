package org.apprentice.quant;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.apprentice.nn.FastConvolution;
import org.apprentice.nn.Layers;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A DL4J convolution whose weights go through a learned quantizer ({@link LearnedWeights}, in the weight-noise slot)
 * and which holds that quantizer's parameters (TTQ's {@code wp}, {@code wn}; LSQ's {@code step}) after W in its
 * parameter vector, so they are trained, saved and restored with the network. The convolution itself is DL4J's
 * (oneDNN on CPU); {@link LearnedConvolutionLayer} adds the quantizer's gradients.
 */
public class LearnedConvolution extends FastConvolution {
    private static final long serialVersionUID = 1L;

    /** For Jackson. */
    public LearnedConvolution() {
    }

    /** The convolution {@code builder} describes, with {@code weights} as its quantizer. */
    public LearnedConvolution(ConvolutionLayer.Builder builder, LearnedWeights weights) {
        super(builder.weightNoise(weights));
    }

    LearnedWeights weights() {
        return (LearnedWeights) getWeightNoise();
    }

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners,
                                                       int layerIndex, INDArray layerParamsView, boolean initializeParams,
                                                       DataType networkDataType) {
        return Layers.attach(new LearnedConvolutionLayer(conf, networkDataType), conf, listeners, layerIndex, layerParamsView,
                initializeParams);
    }

    @Override
    public ParamInitializer initializer() {
        return Params.INSTANCE;
    }

    @Override
    public LearnedConvolution clone() {
        return (LearnedConvolution) super.clone();
    }

    /** DL4J's convolution parameters, then the quantizer's (zero: "not yet set", see {@link LearnedParameters}). */
    static final class Params implements ParamInitializer {
        static final Params INSTANCE = new Params();
        private static final ConvolutionParamInitializer CONV = ConvolutionParamInitializer.getInstance();

        private static LearnedQuantizer quantizer(Layer layer) {
            return ((LearnedConvolution) layer).weights().quantizer();
        }

        private static long each(Layer layer) {
            return LearnedParameters.size(quantizer(layer), ((LearnedConvolution) layer).getNOut());
        }

        @Override
        public long numParams(NeuralNetConfiguration conf) {
            return numParams(conf.getLayer());
        }

        @Override
        public long numParams(Layer layer) {
            return CONV.numParams(layer) + quantizer(layer).parameters().size() * each(layer);
        }

        @Override
        public List<String> paramKeys(Layer layer) {
            List<String> keys = new ArrayList<>(CONV.paramKeys(layer));
            keys.addAll(quantizer(layer).parameters());
            return keys;
        }

        @Override
        public List<String> weightKeys(Layer layer) {
            return CONV.weightKeys(layer);
        }

        @Override
        public List<String> biasKeys(Layer layer) {
            return CONV.biasKeys(layer);
        }

        @Override
        public boolean isWeightParam(Layer layer, String key) {
            return CONV.isWeightParam(layer, key);
        }

        @Override
        public boolean isBiasParam(Layer layer, String key) {
            return CONV.isBiasParam(layer, key);
        }

        @Override
        public Map<String, INDArray> init(NeuralNetConfiguration conf, INDArray view, boolean initialize) {
            Map<String, INDArray> table = new LinkedHashMap<>(CONV.init(conf, convolutionPart(conf, view), initialize));
            table.putAll(learnedPart(conf, view));
            if (initialize) {
                learnedPart(conf, view).values().forEach(p -> p.assign(0));
            }
            return table;
        }

        @Override
        public Map<String, INDArray> getGradientsFromFlattened(NeuralNetConfiguration conf, INDArray view) {
            Map<String, INDArray> table = new LinkedHashMap<>(CONV.getGradientsFromFlattened(conf, convolutionPart(conf, view)));
            table.putAll(learnedPart(conf, view));
            return table;
        }

        private static INDArray convolutionPart(NeuralNetConfiguration conf, INDArray view) {
            return LearnedParameters.slice(view, 0, CONV.numParams(conf.getLayer()));
        }

        private static Map<String, INDArray> learnedPart(NeuralNetConfiguration conf, INDArray view) {
            Map<String, INDArray> table = new LinkedHashMap<>();
            long at = CONV.numParams(conf.getLayer());
            long n = each(conf.getLayer());
            for (String name : quantizer(conf.getLayer()).parameters()) {
                table.put(name, LearnedParameters.slice(view, at, at + n));
                at += n;
            }
            return table;
        }
    }
}
