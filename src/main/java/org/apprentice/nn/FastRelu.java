package org.apprentice.nn;

import org.nd4j.linalg.activations.Activation;

/**
 * DL4J's ReLU activation layer, configured and saved as DL4J's ({@code activation: RELU}), computed in one pass
 * each way ({@link FastActivationLayer}). Its own class, so that models saved with it load as it.
 */
public class FastRelu extends FastActivation {
    private static final long serialVersionUID = 1L;

    /** A ReLU (also Jackson's constructor). */
    public FastRelu() {
        super(Activation.RELU.getActivationFunction());
    }

    @Override
    public FastRelu clone() {
        return (FastRelu) super.clone();
    }
}
