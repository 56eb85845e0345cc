package org.apprentice.quant;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.regularization.Regularization;

/**
 * A learned activation quantizer (PACT or LSQ) as a DL4J layer in place of the ReLU: one learned parameter per
 * layer (PACT's α, LSQ's step), trained, saved and restored with the network. PACT's α takes the network's weight
 * regularisation (L2 on α, as in the paper); LSQ's step takes none. A Jackson bean: the zip records the quantizer.
 */
public class LearnedActivation extends BaseLayer implements ActivationQuantization {
    private static final long serialVersionUID = 1L;

    private ActivationMethod method = ActivationMethod.LSQ;
    private int bits = 4;
    private boolean enabled = true;

    /** For Jackson. */
    public LearnedActivation() {
    }

    /** {@code enabled = false}: the exact quantizer (rounding off), for gradient checks. */
    public LearnedActivation(ActivationMethod method, int bits, boolean enabled) {
        if (method == ActivationMethod.FIXED) {
            throw new IllegalArgumentException("fixed activations are QuantizedActivation, not learned");
        }
        this.method = method;
        this.bits = bits;
        this.enabled = enabled;
        quantizer(); // validates
    }

    public LearnedQuantizer quantizer() {
        return method.quantizer(bits, !enabled);
    }

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners,
                                                       int layerIndex, INDArray layerParamsView, boolean initializeParams,
                                                       DataType networkDataType) {
        return org.apprentice.nn.Layers.attach(new LearnedActivationLayer(conf, networkDataType), conf, listeners, layerIndex, layerParamsView,
                initializeParams);
    }

    @Override
    public ParamInitializer initializer() {
        return Params.INSTANCE;
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return inputType;
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        // element-wise: nothing to infer
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return null;
    }

    @Override
    public List<Regularization> getRegularizationByParam(String paramName) {
        return method == ActivationMethod.PACT && getRegularization() != null ? getRegularization() : List.of();
    }

    @Override
    public boolean isPretrainParam(String paramName) {
        return false;
    }

    @Override
    public LayerMemoryReport getMemoryReport(InputType inputType) {
        return new LayerMemoryReport.Builder(layerName, LearnedActivation.class, inputType, inputType)
                .standardMemory(initializer().numParams(this), 0).workingMemory(0, 0, 0, 0).cacheMemory(0, 0).build();
    }

    @Override
    public LearnedActivation clone() {
        return (LearnedActivation) super.clone();
    }

    public ActivationMethod getMethod() {
        return method;
    }

    @Override
    public int bits() {
        return bits;
    }

    @Override
    public ActivationMethod method() {
        return method;
    }

    @Override
    public List<String> parameters() {
        return quantizer().parameters();
    }

    @Override
    public String operation() {
        return method == ActivationMethod.PACT ? "quantize [0,α] (PACT)" : "quantize (LSQ step)";
    }

    /** PACT: levels of α/(2^k - 1) in [0, α]; LSQ: levels of s in [0, s·(2^k - 1)]; the learned value floored at 1e-8. */
    @Override
    public ActivationGrid grid(org.deeplearning4j.nn.api.Layer layer) {
        float raw = layer.getParam(quantizer().parameters().get(0)).getFloat(0);
        double value = (float) Math.max(raw, 1e-8);
        int levels = BitWidth.levels(bits, false);
        return method == ActivationMethod.PACT
                ? new ActivationGrid(method, bits, enabled, value / levels, 0, value, false, raw != 0f)
                : new ActivationGrid(method, bits, enabled, value, 0, value * levels, false, raw != 0f);
    }

    public void setMethod(ActivationMethod method) {
        this.method = method;
    }

    public int getBits() {
        return bits;
    }

    public void setBits(int bits) {
        this.bits = bits;
    }

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LearnedActivation other && super.equals(o) && other.method == method && other.bits == bits
                && other.enabled == enabled;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), method, bits, enabled);
    }

    /** One parameter view per learned value; zero means "not yet set". */
    static final class Params implements ParamInitializer {
        static final Params INSTANCE = new Params();

        private static LearnedQuantizer quantizer(Layer layer) {
            return ((LearnedActivation) layer).quantizer();
        }

        @Override
        public long numParams(NeuralNetConfiguration conf) {
            return numParams(conf.getLayer());
        }

        @Override
        public long numParams(Layer layer) {
            return quantizer(layer).parameters().size();
        }

        @Override
        public List<String> paramKeys(Layer layer) {
            return quantizer(layer).parameters();
        }

        @Override
        public List<String> weightKeys(Layer layer) {
            return List.of();
        }

        @Override
        public List<String> biasKeys(Layer layer) {
            return List.of();
        }

        @Override
        public boolean isWeightParam(Layer layer, String key) {
            return false;
        }

        @Override
        public boolean isBiasParam(Layer layer, String key) {
            return false;
        }

        @Override
        public Map<String, INDArray> init(NeuralNetConfiguration conf, INDArray view, boolean initialize) {
            Map<String, INDArray> table = getGradientsFromFlattened(conf, view);
            if (initialize) {
                view.assign(0);
            }
            return table;
        }

        @Override
        public Map<String, INDArray> getGradientsFromFlattened(NeuralNetConfiguration conf, INDArray view) {
            Map<String, INDArray> table = new LinkedHashMap<>();
            long at = 0;
            for (String name : quantizer(conf.getLayer()).parameters()) {
                table.put(name, LearnedParameters.slice(view, at, at + 1));
                at++;
            }
            return table;
        }
    }
}
