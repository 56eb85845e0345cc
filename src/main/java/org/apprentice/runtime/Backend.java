package org.apprentice.runtime;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.LayerHelper;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.layers.mkldnn.BaseMKLDNNHelper;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The ND4J backend in use, and the settings that make DL4J 1.0.0-M2.1 train fast on it.
 *
 * <p>On the CPU backend DL4J's oneDNN layer helpers are off out of the box (see
 * {@code ../shared/design.md}, "CPU speed"): the property {@value #HELPERS_DISABLE} defaults to
 * {@code "true"}, and the capability lookup fails without the {@link org.nd4j.nativeblas.Nd4jCpu}
 * shim. {@link #configure()} switches them on; {@link #requireFastHelpers(ComputationGraph)} fails
 * loudly when they still do not attach, instead of training 13x slower in silence.
 */
public final class Backend {
    /** DL4J's switch for all layer helpers (cuDNN and oneDNN); "true" unless set. */
    public static final String HELPERS_DISABLE = "org.eclipse.deeplearning4j.helpers.disable";
    /** Set to "false" to accept a CPU network whose oneDNN helpers did not attach. */
    public static final String REQUIRE_ONEDNN = "apprentice.requireOneDnn";

    private Backend() {
    }

    /** Switches DL4J's layer helpers on unless the user set the property; call before building. */
    public static synchronized void configure() {
        if (System.getProperty(HELPERS_DISABLE) == null) {
            System.setProperty(HELPERS_DISABLE, "false");
        }
    }

    /** "CPU" or "CUDA", as ND4J reports it. */
    public static String name() {
        return Nd4j.getExecutioner().getEnvironmentInformation().getProperty("backend", "unknown");
    }

    /** The backend the Maven profile put on the classpath ("CPU" or "CUDA"), as recorded at build time. */
    public static String built() {
        return BuildInfo.backend();
    }

    public static boolean isCpu() {
        return "CPU".equalsIgnoreCase(name());
    }

    /** Whether DL4J itself considers oneDNN usable (the check its helpers run). */
    public static boolean oneDnnEnabled() {
        return isCpu() && BaseMKLDNNHelper.mklDnnEnabled();
    }

    /** The helper attached to each convolution and batch-norm layer, "none" where absent. */
    public static List<String> helperReport(ComputationGraph graph) {
        List<String> lines = new ArrayList<>();
        for (Layer layer : graph.getLayers()) {
            LayerHelper helper = helperOf(layer);
            if (layer instanceof ConvolutionLayer || layer instanceof BatchNormalization) {
                lines.add(layer.getConfig().getLayerName() + ": "
                        + (helper == null ? "none" : helper.getClass().getSimpleName()));
            }
        }
        return lines;
    }

    /**
     * Throws when a FLOAT network on the CPU backend has a convolution or batch-norm layer without
     * its oneDNN helper. DOUBLE networks (gradient checks) are exempt: oneDNN refuses them by design.
     */
    public static void requireFastHelpers(ComputationGraph graph) {
        if (!isCpu() || !"true".equalsIgnoreCase(System.getProperty(REQUIRE_ONEDNN, "true"))) {
            return;
        }
        DataType type = graph.getConfiguration().getDataType();
        if (type != DataType.FLOAT) {
            return;
        }
        for (Layer layer : graph.getLayers()) {
            boolean wantsHelper = layer instanceof ConvolutionLayer || layer instanceof BatchNormalization;
            if (wantsHelper && helperOf(layer) == null) {
                throw new IllegalStateException("oneDNN helper did not attach to layer '"
                        + layer.getConfig().getLayerName() + "' (" + layer.getClass().getSimpleName()
                        + "): CPU training would run about 13x slower. Run with the "
                        + "linux-x86_64-onednn natives and -D" + HELPERS_DISABLE + "=false, or accept "
                        + "the slow path with -D" + REQUIRE_ONEDNN + "=false");
            }
        }
    }

    private static LayerHelper helperOf(Layer layer) {
        if (layer instanceof ConvolutionLayer) {
            return ((ConvolutionLayer) layer).getHelper();
        }
        if (layer instanceof BatchNormalization) {
            return ((BatchNormalization) layer).getHelper();
        }
        return null;
    }
}
