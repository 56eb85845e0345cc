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
 * @param init         a trained full-precision model to lower (scheme C and its control); null: the model store
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
