package org.apprentice.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import org.apprentice.data.FashionMnistFiles;
import org.apprentice.model.InputShape;
import org.apprentice.model.ModelSize;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.model.Parameters;
import org.apprentice.model.ResNetBuilder;
import org.apprentice.model.ResNetConfig;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * What {@code apprentice} does with no command, on the embedded default (Fashion-MNIST). The
 * training pipeline (schemes A, B, C) is not in this build yet, so today it checks the dataset and
 * builds the default full-precision teacher and ternary-weight, 4-bit-activation student for it,
 * reporting their sizes.
 */
final class DefaultJob {
    static final String STUDENT = "resnet20";
    static final String TEACHER = "resnet32";

    int run(Path home, PrintStream out) {
        Path data = FashionMnistFiles.locate(home);
        out.println("Fashion-MNIST: " + data);
        InputShape shape = new InputShape(1, 28, 28);
        report(out, "teacher", ResNetConfig.of(TEACHER, 10, shape));
        report(out, "student", ResNetConfig.of(STUDENT, 10, shape).withPrecision(PrecisionSpec.of(2, 4)));
        out.println("Training (schemes A, B, C) is not in this build yet; 'apprentice --help' lists what is.");
        return 0;
    }

    private static void report(PrintStream out, String role, ResNetConfig config) {
        ComputationGraph net = ResNetBuilder.build(config);
        ModelSize size = ModelSize.of(net);
        out.printf("%-8s %-9s %s, %s, %,d trainable parameters, %s (%s at FP32)%n", role,
                config.architecture().name(), config.input(), config.precision().body().label(),
                Parameters.trainable(net), ModelSize.megabytes(size.lowPrecisionBytes()),
                ModelSize.megabytes(size.fp32Bytes()));
    }
}
