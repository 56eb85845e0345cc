package org.apprentice.kd;

import org.apprentice.model.OutputHead;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/** The output heads of the Apprentice objective's two networks. */
public final class Heads {
    private Heads() {
    }

    /** The apprentice: {@link ApprenticeLoss} on the logits (identity activation; the loss applies softmax). */
    public static OutputHead apprentice(ApprenticeLoss loss) {
        return new OutputHead(loss, new ActivationIdentity());
    }

    /** A jointly trained teacher: α·H(y, p_T), softmax cross-entropy weighted by α on every class. */
    public static OutputHead teacher(double alpha, int classes) {
        if (!(alpha > 0)) {
            throw new IllegalArgumentException("alpha must be positive for a jointly trained teacher, got " + alpha);
        }
        return new OutputHead(new LossMCXENT(Nd4j.valueArrayOf(new long[] {1, classes}, alpha)), new ActivationSoftmax());
    }
}
