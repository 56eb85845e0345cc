package org.apprentice.cli;

import com.beust.jcommander.Parameter;
import com.beust.jcommander.Parameters;
import java.io.PrintStream;
import org.apprentice.bench.TrainingStepBenchmark;
import org.apprentice.bench.TrainingStepBenchmark.Result;
import org.apprentice.data.ImageFolder;
import org.apprentice.data.ImageFolderIterator;
import org.apprentice.model.InputShape;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.model.ResNetConfig;
import org.apprentice.runtime.MachineInfo;

/** {@code apprentice bench}: seconds per training step and images per second, on random data. */
@Parameters(commandDescription = "Time training steps, full precision and ternary-weight/4-bit-activation: resnet20 (batch 128, 3x32x32) and resnet18 (batch 16, 3x224x224) by default")
final class BenchCommand {
    @Parameter(names = "--model", description = "Benchmark only this model (with --batch and --input)")
    String model;

    @Parameter(names = "--batch", description = "Minibatch size with --model")
    int batch = 32;

    @Parameter(names = "--input", description = "Input shape C,H,W with --model")
    String input = "3,32,32";

    @Parameter(names = "--bits", description = "Weight bits with --model: 2 (ternary), 3..8, 32 (full precision)")
    int bits = 32;

    @Parameter(names = "--act-bits", description = "Activation bits with --model: 2..8, 32 (full precision)")
    int actBits = 32;

    @Parameter(names = "--data", description = "Instead: images per second of the training input pipeline (decode, "
            + "augment, normalise) over the ImageNet-style folder DIR/train, at 224x224 with 1 and 2 workers")
    String data;

    @Parameter(names = "--warmup", description = "Untimed steps before measuring")
    int warmup = 3;

    @Parameter(names = "--steps", description = "Timed steps (the median is reported)")
    int steps = 10;

    int run(PrintStream out) {
        if (warmup < 0 || steps < 1) {
            throw new IllegalArgumentException("--warmup must be >= 0 and --steps >= 1, got " + warmup + " and " + steps);
        }
        out.println("machine: " + MachineInfo.describe());
        if (data != null) {
            return pipeline(out);
        }
        out.printf("%-46s %6s %14s %12s %9s %10s%n", "configuration", "batch", "median s/step", "images/s",
                "x fp32", "oneDNN");
        if (model != null) {
            InputShape shape = InputShape.parse(input);
            ResNetConfig config = ResNetConfig.of(model, 10, shape);
            Result fp = TrainingStepBenchmark.run(model + " " + shape + " fp32", config, batch, warmup, steps);
            report(out, fp, fp);
            if (bits != 32 || actBits != 32) {
                PrecisionSpec spec = PrecisionSpec.of(bits, actBits);
                report(out, TrainingStepBenchmark.run(model + " " + shape + " " + spec.body().label(),
                        config.withPrecision(spec), batch, warmup, steps), fp);
            }
        } else {
            for (Object[] preset : new Object[][] {{"resnet20", new InputShape(3, 32, 32), 10, 128},
                    {"resnet18", new InputShape(3, 224, 224), 1000, 16}}) {
                String name = (String) preset[0];
                InputShape shape = (InputShape) preset[1];
                ResNetConfig config = ResNetConfig.of(name, (Integer) preset[2], shape);
                int b = (Integer) preset[3];
                Result fp = TrainingStepBenchmark.run(name + " " + shape + " fp32", config, b, warmup, steps);
                report(out, fp, fp);
                report(out, TrainingStepBenchmark.run(name + " " + shape + " w2a4 (ternary, 4-bit act)",
                        config.withPrecision(PrecisionSpec.of(2, 4)), b, warmup, steps), fp);
            }
        }
        return 0;
    }

    private int pipeline(PrintStream out) {
        ImageFolder train = ImageFolder.scan(java.nio.file.Path.of(data).toAbsolutePath(), "train");
        out.printf("%s: %d images in %d classes; batch 32 at 224x224, %d warm-up and up to %d timed batches%n",
                train.folder(), train.samples().size(), train.classes().size(), warmup, steps);
        out.printf("%-10s %12s %10s%n", "workers", "images/s", "images");
        for (int workers : new int[] {1, 2}) {
            ImageFolderIterator it = new ImageFolderIterator(train, 224, true, 32, workers, 42, false);
            for (int i = 0; i < warmup && it.hasNext(); i++) {
                it.next();
            }
            long images = 0;
            long start = System.nanoTime();
            for (int i = 0; i < steps && it.hasNext(); i++) {
                images += it.next().numExamples();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            out.printf("%-10d %12.1f %10d%n", workers, images / seconds, images);
        }
        return 0;
    }

    private static void report(PrintStream out, Result r, Result fullPrecision) {
        out.printf("%-46s %6d %14.3f %12.1f %9.2f %10s%n", r.label(), r.batch(), r.medianSeconds(),
                r.imagesPerSecond(), r.medianSeconds() / fullPrecision.medianSeconds(),
                r.helpersAttached() ? "attached" : "MISSING");
        out.flush();
    }
}
