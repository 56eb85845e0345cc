package org.apprentice.train;

import java.nio.file.Path;
import java.util.Objects;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.model.ResNetArchitecture;

/**
 * The model a run trains, and at what precision: one component of {@link RunSettings}.
 *
 * @param architecture the student's registry entry
 * @param width        its width multiplier
 * @param precision    its weights' and activations' precision
 * @param init         a model file the student starts from: scheme C and its control lower it (fine-tuned first at
 *                     full precision when it was trained on other classes); a full-precision student of scheme none
 *                     starts from its weights (transfer learning: a classifier for other classes is replaced); null:
 *                     scheme C's from the model store, scheme none's from scratch
 */
public record StudentSettings(ResNetArchitecture architecture, double width, PrecisionSpec precision, Path init) {
    public StudentSettings {
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(precision, "precision");
        Checks.positive("--width", width);
    }

    /** The registry name: resnet20, ... */
    public String name() {
        return architecture.name();
    }
}
