package org.apprentice.nn;

import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

/** What every layer configuration's {@code instantiate} does once its layer object exists. */
public final class Layers {
    private Layers() {
    }

    /** Gives {@code layer} its listeners, index, parameter views (initialised when asked) and configuration. */
    public static Layer attach(Layer layer, NeuralNetConfiguration conf, Collection<TrainingListener> listeners,
                               int index, INDArray view, boolean initialize) {
        layer.setListeners(listeners);
        layer.setIndex(index);
        layer.setParamsViewArray(view);
        layer.setParamTable(conf.getLayer().initializer().init(conf, view, initialize));
        layer.setConf(conf);
        return layer;
    }
}
