package org.apprentice.train;

import java.nio.file.Path;
import java.util.Objects;
import org.apprentice.kd.ApprenticeLoss;
import org.apprentice.model.ResNetArchitecture;

/**
 * The teacher and the loss that distils it into the student: one component of {@link RunSettings}. A run without a
 * teacher (scheme none, scheme C's control) holds {@link #NONE}'s teacher (null) and the paper's loss weights.
 *
 * @param teacher        the teacher's registry entry, or null without a teacher
 * @param teacherWidth   its width multiplier
 * @param teacherModel   a trained full-precision teacher file (schemes B and C); null: the model store
 * @param pretrainEpochs epochs of a teacher or scheme-C starting point trained on the fly (not in the model store);
 *                       0: the run's epochs
 * @param alpha          weight of the teacher's cross-entropy (scheme A)
 * @param beta           weight of the student's cross-entropy
 * @param gamma          weight of the distillation term
 * @param temperature    the distillation term's softmax temperature
 * @param target         what the student is distilled towards
 */
public record Distillation(ResNetArchitecture teacher, double teacherWidth, Path teacherModel, int pretrainEpochs,
                           double alpha, double beta, double gamma, double temperature, ApprenticeLoss.Target target) {
    public Distillation {
        Objects.requireNonNull(target, "target");
        Checks.positive("--teacher-width", teacherWidth);
        Checks.atLeast("--pretrain-epochs", pretrainEpochs, 0);
        Checks.positive("--alpha", alpha);
        Checks.atLeastZero("--beta", beta);
        Checks.atLeastZero("--gamma", gamma);
        Checks.positive("--temperature", temperature);
    }

    /** The teacher's registry name, or null without a teacher. */
    public String teacherName() {
        return teacher == null ? null : teacher.name();
    }
}
