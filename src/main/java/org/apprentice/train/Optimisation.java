package org.apprentice.train;

import java.util.Objects;
import org.apprentice.model.WeightDecay;

/**
 * How the student's weights are fitted: one component of {@link RunSettings}.
 *
 * @param epochs          epochs of the run
 * @param batch           images per optimiser step
 * @param learningRate    SGD with Nesterov momentum 0.9, at the start of the schedule
 * @param schedule        the learning rate by epoch
 * @param weightDecay     the weight decay's factor
 * @param weightDecayForm how it enters training: L2 before the updater, or decoupled
 * @param seed            draws the initial weights, the training subset and the minibatches
 * @param freezeEpochs    the first epochs in which only the classifier learns (a model started from a file; 0: none)
 */
public record Optimisation(int epochs, int batch, double learningRate, Schedule schedule, double weightDecay,
                           WeightDecay weightDecayForm, long seed, int freezeEpochs) {
    public Optimisation {
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(weightDecayForm, "weightDecayForm");
        Checks.atLeast("--epochs", epochs, 1);
        Checks.atLeast("--batch", batch, 1);
        Checks.positive("--lr", learningRate);
        Checks.atLeastZero("--wd", weightDecay);
        Checks.atLeast("--freeze-epochs", freezeEpochs, 0);
        if (freezeEpochs >= epochs) {
            throw new IllegalArgumentException("--freeze-epochs " + freezeEpochs + " leaves no epoch of --epochs "
                    + epochs + " to train the whole network");
        }
    }
}
