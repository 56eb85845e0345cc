package org.apprentice.cli;

import com.beust.jcommander.Parameter;
import com.beust.jcommander.Parameters;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.apprentice.bench.TrainingStepBenchmark;
import org.apprentice.bench.TrainingStepBenchmark.Result;
import org.apprentice.model.InputShape;
import org.apprentice.model.ResNetConfig;
import org.apprentice.runtime.MachineInfo;

/** {@code apprentice bench}: seconds per training step and images per second, on random data. */
@Parameters(commandDescription = "Time training steps: resnet20 (batch 128, 3x32x32) and resnet18 (batch 16, 3x224x224) by default")
final class BenchCommand {
    @Parameter(names = "--model", description = "Benchmark only this model (with --batch and --input)")
    String model;

    @Parameter(names = "--batch", description = "Minibatch size with --model")
    int batch = 32;

    @Parameter(names = "--input", description = "Input shape C,H,W with --model")
    String input = "3,32,32";

    @Parameter(names = "--warmup", description = "Untimed steps before measuring")
    int warmup = 3;

    @Parameter(names = "--steps", description = "Timed steps (the median is reported)")
    int steps = 10;

    int run(PrintStream out) {
        if (warmup < 0 || steps < 1) {
            throw new IllegalArgumentException("--warmup must be >= 0 and --steps >= 1, got " + warmup + " and " + steps);
        }
        List<Result> results = new ArrayList<>();
        out.println("machine: " + MachineInfo.describe());
        out.printf("%-34s %6s %14s %12s %10s%n", "configuration", "batch", "median s/step", "images/s", "oneDNN");
        if (model != null) {
            InputShape shape = InputShape.parse(input);
            report(out, TrainingStepBenchmark.run(model + " " + shape,
                    ResNetConfig.of(model, 10, shape), batch, warmup, steps));
        } else {
            report(out, TrainingStepBenchmark.run("resnet20 3x32x32 fp32",
                    ResNetConfig.of("resnet20", 10, new InputShape(3, 32, 32)), 128, warmup, steps));
            report(out, TrainingStepBenchmark.run("resnet18 3x224x224 fp32",
                    ResNetConfig.of("resnet18", 1000, new InputShape(3, 224, 224)), 16, warmup, steps));
        }
        return 0;
    }

    private static void report(PrintStream out, Result r) {
        out.printf("%-34s %6d %14.3f %12.1f %10s%n", r.label(), r.batch(), r.medianSeconds(), r.imagesPerSecond(),
                r.helpersAttached() ? "attached" : "MISSING");
        out.flush();
    }
}
