package org.apprentice.model;

import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * The loss and activation of a ResNet's parameter-free {@code output} layer, which sits on the
 * {@code fc} logits: softmax cross-entropy for plain training, something else for distillation.
 */
public record OutputHead(ILossFunction loss, IActivation activation) {
    public static OutputHead softmaxCrossEntropy() {
        return new OutputHead(new LossMCXENT(), new ActivationSoftmax());
    }
}
