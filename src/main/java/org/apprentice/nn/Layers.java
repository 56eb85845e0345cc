package org.apprentice.nn;

import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;

/** What the project's layers share: wiring a new layer object, and the array layout libnd4j's ops expect. */
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

    /** {@code a} itself when it is a plain C-order array, else a C-order copy: what libnd4j's ops here expect. */
    static INDArray contiguous(INDArray a) {
        return a.ordering() == 'c' && Shape.hasDefaultStridesForShape(a) ? a : a.dup('c');
    }
}
