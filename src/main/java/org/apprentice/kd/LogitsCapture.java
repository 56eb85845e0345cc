package org.apprentice.kd;

import java.util.Map;
import org.apprentice.model.ResNetBuilder;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Keeps the logits ({@code fc} activations) of a network's last training forward pass, so that a
 * teacher trained jointly (scheme A) guides the apprentice without a second forward pass.
 */
public final class LogitsCapture extends BaseTrainingListener {
    private INDArray logits;

    @Override
    public void onForwardPass(Model model, Map<String, INDArray> activations) {
        INDArray fc = activations.get(ResNetBuilder.LOGITS);
        // DL4J calls this outside its workspaces: dup() gives a detached copy
        logits = fc == null ? null : fc.dup();
    }

    /** The logits of the last forward pass; throws if there was none since the last call. */
    public INDArray take() {
        if (logits == null) {
            throw new IllegalStateException("no forward pass captured the '" + ResNetBuilder.LOGITS + "' logits");
        }
        INDArray out = logits;
        logits = null;
        return out;
    }
}
