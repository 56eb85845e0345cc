package org.apprentice.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import org.apprentice.data.FashionMnistFiles;
import org.apprentice.model.InputShape;
import org.apprentice.model.Parameters;
import org.apprentice.model.ResNetBuilder;
import org.apprentice.model.ResNetConfig;

/**
 * What {@code apprentice} does with no command, on the embedded default (Fashion-MNIST). The
 * training pipeline (schemes A, B, C) is not in this build yet, so today it checks the dataset and
 * builds the default teacher and student for it, reporting their sizes.
 */
final class DefaultJob {
    static final String STUDENT = "resnet20";
    static final String TEACHER = "resnet32";

    int run(Path home, PrintStream out) {
        Path data = FashionMnistFiles.locate(home);
        out.println("Fashion-MNIST: " + data);
        InputShape shape = new InputShape(1, 28, 28);
        for (String name : new String[] {TEACHER, STUDENT}) {
            ResNetConfig config = ResNetConfig.of(name, 10, shape);
            long params = Parameters.trainable(ResNetBuilder.build(config));
            out.printf("%-8s %-9s %s, %,d trainable parameters%n", name.equals(TEACHER) ? "teacher" : "student",
                    name, shape, params);
        }
        out.println("Training (schemes A, B, C) is not in this build yet; 'apprentice --help' lists what is.");
        return 0;
    }
}
