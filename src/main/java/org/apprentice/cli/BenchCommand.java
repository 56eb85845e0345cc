package org.apprentice.cli;

import com.beust.jcommander.Parameter;
import com.beust.jcommander.Parameters;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apprentice.bench.DeployBenchmark;
import org.apprentice.bench.LayerBenchmark;
import org.apprentice.bench.OpBenchmark;
import org.apprentice.bench.StepProfile;
import org.apprentice.bench.TorchBaseline;
import org.apprentice.bench.TrainingStepBenchmark;
import org.apprentice.bench.TrainingStepBenchmark.Result;
import org.apprentice.data.ImageFolder;
import org.apprentice.data.ImageFolderIterator;
import org.apprentice.model.InputShape;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.model.ResNetBuilder;
import org.apprentice.model.ResNetConfig;
import org.apprentice.quant.ActivationMethod;
import org.apprentice.quant.WeightMethod;
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

    @Parameter(names = "--learned", description = "Also time the low precision with learned quantizers: LSQ weights and "
            + "activations, and TTQ weights with PACT activations")
    boolean learned;

    @Parameter(names = "--data", description = "Instead: images per second of the training input pipeline (decode, "
            + "augment, normalise) over the ImageNet-style folder DIR/train, at 224x224 with 1 and 2 workers")
    String data;

    @Parameter(names = "--warmup", description = "Untimed steps before measuring")
    int warmup = 3;

    @Parameter(names = "--steps", description = "Timed steps (the median is reported)")
    int steps = 10;

    @Parameter(names = "--profile", description = "Also show where the time of a step goes, by operation (JDK Flight "
            + "Recorder samples of the training thread)")
    boolean profile;

    @Parameter(names = "--replicas", description = "Also time N data-parallel replicas (train --replicas N), each "
            + "with batch/N images a step, against one model at the same batch, through the training loop")
    int replicas = 0;

    @Parameter(names = "--deploy", description = "Instead: inference where a student is deployed: images per second at "
            + "batch 1 and 32 and file size, for DL4J fp32, ONNX Runtime on the fp32 export, and ONNX Runtime on a "
            + "w2a4 and a w2a8 student's float and integer exports (and w2a4's with its stem's activation at 8 bits), for resnet8 (1x28x28), resnet20 (3x32x32) and "
            + "resnet18 (3x224x224); with --model, that network only (at --input)")
    boolean deploy;

    @Parameter(names = "--layers", description = "Instead: forward + backward of each kind of layer at the networks' "
            + "shapes, DL4J's stock layers against this project's and PyTorch's (bin/torch-layer-bench.py)")
    boolean layers;

    @Parameter(names = "--ops", description = "Instead: the libnd4j ops the project's layers choose between, timed "
            + "alone (convolution backward routes, batch norm and ReLU passes)")
    boolean ops;

    @Parameter(names = "--no-torch", description = "Do not time PyTorch side by side (bin/torch-resnet-bench.py with "
            + "Debian's python3-torch, when installed)")
    boolean noTorch;

    /** One benchmarked network: model, input, classes, batch. */
    private record Preset(String model, InputShape input, int classes, int batch) {
        String label() {
            return model + " " + input;
        }
    }

    int run(Path home, PrintStream out) {
        if (warmup < 0 || steps < 1) {
            throw new IllegalArgumentException("--warmup must be >= 0 and --steps >= 1, got " + warmup + " and " + steps);
        }
        requireOneMode();
        out.println("machine: " + MachineInfo.describe());
        if (data != null) {
            return pipeline(out);
        }
        if (deploy) {
            return deploy(out);
        }
        if (ops) {
            return ops(out);
        }
        TorchBaseline torch = noTorch ? null : new TorchBaseline(home);
        String why = torch == null ? "--no-torch" : torch.unavailable();
        out.println("PyTorch side by side: " + (why == null ? "yes, " + TorchBaseline.PYTHON + " "
                + (layers ? "bin/torch-layer-bench.py, " : "bin/torch-resnet-bench.py, ") + MachineInfo.threads() + " threads"
                : "no (" + why + ")"));
        List<Preset> presets = model != null
                ? List.of(new Preset(model, InputShape.parse(input), 10, batch))
                : List.of(new Preset("resnet20", new InputShape(3, 32, 32), 10, 128),
                        new Preset("resnet18", new InputShape(3, 224, 224), 1000, 16));
        PrecisionSpec low = model != null ? (bits != 32 || actBits != 32 ? PrecisionSpec.of(bits, actBits) : null)
                : PrecisionSpec.of(2, 4);
        TorchBaseline reference = why == null ? torch : null;
        if (layers) {
            presets.forEach(p -> layers(out, p, low, reference));
            return 0;
        }
        trainingSteps(out, presets, low, reference);
        if (replicas > 0) {
            replicas(out, presets, low);
        }
        if (profile) {
            for (Preset p : presets) {
                ResNetConfig config = ResNetConfig.of(p.model(), p.classes(), p.input());
                profile(out, p.label() + " fp32", config, p.batch());
                if (low != null) {
                    profile(out, p.label() + " " + low.body().label(), config.withPrecision(low), p.batch());
                }
            }
        }
        return 0;
    }

    /** --data, --deploy, --layers and --ops each replace the training-step benchmark: at most one of them. */
    private void requireOneMode() {
        List<String> modes = new ArrayList<>();
        if (data != null) {
            modes.add("--data");
        }
        if (deploy) {
            modes.add("--deploy");
        }
        if (layers) {
            modes.add("--layers");
        }
        if (ops) {
            modes.add("--ops");
        }
        if (modes.size() > 1) {
            throw new IllegalArgumentException("bench takes one of " + String.join(", ", modes) + " at a time");
        }
        if (!modes.isEmpty() && (profile || replicas > 0 || learned)) {
            throw new IllegalArgumentException("--profile, --replicas and --learned go with the training-step "
                    + "benchmark, not with " + modes.get(0));
        }
    }

    /** The training-step table: fp32, low precision and its learned variants, beside PyTorch when it runs. */
    private void trainingSteps(PrintStream out, List<Preset> presets, PrecisionSpec low, TorchBaseline torch) {
        out.printf("%-46s %6s %14s %12s %9s %10s %12s %10s%n", "configuration", "batch", "median s/step", "images/s",
                "x fp32", "oneDNN", "PyTorch im/s", "x PyTorch");
        for (Preset p : presets) {
            ResNetConfig config = ResNetConfig.of(p.model(), p.classes(), p.input());
            Result fp = TrainingStepBenchmark.run(p.label() + " fp32", config, p.batch(), warmup, steps);
            TorchBaseline.Result reference = torch == null ? null
                    : torch.run(p.model(), p.batch(), p.input(), p.classes(), warmup, steps, MachineInfo.threads());
            report(out, fp, fp, reference);
            if (low != null) {
                report(out, TrainingStepBenchmark.run(p.label() + " " + low.body().label(), config.withPrecision(low),
                        p.batch(), warmup, steps), fp, null);
            }
            for (PrecisionSpec spec : learned && low != null ? learnedVariants(low) : List.<PrecisionSpec>of()) {
                report(out, TrainingStepBenchmark.run(p.label() + " " + spec.label(), config.withPrecision(spec),
                        p.batch(), warmup, steps), fp, null);
            }
            long ours = org.apprentice.model.Parameters.trainable(ResNetBuilder.build(config));
            if (reference != null && reference.parameters() != ours) {
                out.printf("  (PyTorch's %s has %,d parameters, ours %,d: not the same network)%n", p.model(),
                        reference.parameters(), ours);
            }
        }
    }

    /** {@code --ops}: the libnd4j ops the layers choose between ({@link OpBenchmark}). */
    private int ops(PrintStream out) {
        out.printf("%-44s %-30s %10s%n", "op", "shape", "median ms");
        OpBenchmark.run(warmup, steps).forEach(r -> out.printf("%-44s %-30s %10.2f%n", r.op(), r.shape(),
                r.milliseconds()));
        return 0;
    }

    /**
     * {@code --layers}: each distinct layer of the preset's fp32 network, and the quantized layers of its
     * low-precision networks (fixed, LSQ, and TTQ/PACT for ternary weights), timed one at a time
     * ({@link LayerBenchmark}); then the fp32 network's sum, each layer weighted by how often the network has it.
     */
    private void layers(PrintStream out, Preset p, PrecisionSpec low, TorchBaseline torch) {
        ResNetConfig config = ResNetConfig.of(p.model(), p.classes(), p.input());
        var type = org.deeplearning4j.nn.conf.inputs.InputType.convolutional(p.input().height(), p.input().width(),
                p.input().channels());
        List<LayerBenchmark.LayerCase> cases = new ArrayList<>(
                LayerBenchmark.cases(ResNetBuilder.configuration(config), type));
        int fullPrecision = cases.size();
        List<PrecisionSpec> lowPrecision = new ArrayList<>();
        if (low != null) {
            lowPrecision.add(low);
            lowPrecision.addAll(learnedVariants(low));
        }
        for (PrecisionSpec spec : lowPrecision) {
            LayerBenchmark.cases(ResNetBuilder.configuration(config.withPrecision(spec)), type)
                    .stream().filter(LayerBenchmark.LayerCase::quantized).forEach(cases::add);
        }
        double[] reference = torch == null ? null : torch.runLayers(cases.stream().map(c -> c.torchSpec(p.batch())).toList(), warmup, steps, MachineInfo.threads());
        out.printf("%n%s, batch %d: forward + backward of one layer, median ms%n", p.label(), p.batch());
        out.printf("%-44s %5s %9s %9s %8s %10s %11s%n", "layer", "count", "DL4J", "ours", "x DL4J", "PyTorch",
                "x PyTorch");
        double[] sums = new double[3];
        for (int i = 0; i < cases.size(); i++) {
            LayerBenchmark.Timing t = LayerBenchmark.time(cases.get(i), p.batch(), warmup, steps);
            double torchSeconds = reference == null ? Double.NaN : reference[i];
            out.printf("%-44s %5d %9s %9.2f %8s %10s %11s%n", t.layerCase().label(), t.layerCase().count(),
                    orDash("%.2f", t.dl4jSeconds() * 1e3), t.fastSeconds() * 1e3,
                    orDash("%.2fx", t.dl4jSeconds() / t.fastSeconds()), orDash("%.2f", torchSeconds * 1e3),
                    orDash("%.2fx", torchSeconds / t.fastSeconds()));
            out.flush();
            if (i < fullPrecision) {
                int n = t.layerCase().count();
                sums[0] += n * (Double.isNaN(t.dl4jSeconds()) ? t.fastSeconds() : t.dl4jSeconds());
                sums[1] += n * t.fastSeconds();
                sums[2] += n * torchSeconds;
            }
        }
        out.printf("%-44s %5s %9.1f %9.1f %7.2fx %10s %11s%n", "fp32 network, sum over its layers", "",
                sums[0] * 1e3, sums[1] * 1e3, sums[0] / sums[1], orDash("%.1f", sums[2] * 1e3),
                orDash("%.2fx", sums[2] / sums[1]));
    }

    /** The value formatted, or "-" where there is none (no stock twin, no PyTorch). */
    private static String orDash(String format, double value) {
        return Double.isNaN(value) ? "-" : String.format(format, value);
    }

    /** LSQ weights and activations; TTQ weights (ternary only) with PACT activations. */
    private static List<PrecisionSpec> learnedVariants(PrecisionSpec low) {
        List<PrecisionSpec> out = new ArrayList<>();
        out.add(low.withMethods(WeightMethod.LSQ, ActivationMethod.LSQ));
        if (low.body().weightBits() == 2) {
            out.add(low.withMethods(WeightMethod.TTQ, ActivationMethod.PACT));
        }
        return out;
    }

    /** One model against {@code replicas} replicas at the same global batch, fp32 and low precision. */
    private void replicas(PrintStream out, List<Preset> presets, PrecisionSpec low) {
        out.printf("%n%-46s %6s %16s %16s %9s%n", "training loop, " + steps + " steps a pass", "batch", "1 model im/s",
                replicas + " replicas im/s", "ratio");
        for (Preset p : presets) {
            if (p.batch() % replicas != 0) {
                throw new IllegalArgumentException("--replicas " + replicas + " does not divide " + p.model()
                        + "'s batch " + p.batch());
            }
            ResNetConfig config = ResNetConfig.of(p.model(), p.classes(), p.input());
            for (ResNetConfig c : low == null ? List.of(config) : List.of(config, config.withPrecision(low))) {
                double one = TrainingStepBenchmark.replicatedImagesPerSecond(c, p.batch(), 1, steps);
                double many = TrainingStepBenchmark.replicatedImagesPerSecond(c, p.batch(), replicas, steps);
                out.printf("%-46s %6d %16.1f %16.1f %8.2fx%n", p.label() + " " + (c == config ? "fp32"
                        : low.body().label()), p.batch(), one, many, many / one);
                out.flush();
            }
        }
    }

    private void profile(PrintStream out, String label, ResNetConfig config, int batch) {
        List<StepProfile.Part> parts = TrainingStepBenchmark.profile(config, batch, warmup, steps);
        long samples = parts.stream().mapToLong(StepProfile.Part::samples).sum();
        out.printf("%nwhere a step goes: %s, batch %d (%d samples of the training thread, every %d ms)%n", label, batch,
                samples, 10);
        out.printf("  %-36s %10s %8s%n", "part", "s/step", "share");
        for (StepProfile.Part part : parts) {
            out.printf("  %-36s %10.3f %7.1f%%%n", part.name(), part.secondsPerStep(), 100 * part.share());
        }
        out.flush();
    }

    private int pipeline(PrintStream out) {
        ImageFolder train = ImageFolder.scan(java.nio.file.Path.of(data).toAbsolutePath(), "train");
        out.printf("%s: %d images in %d classes; batch 32 at 224x224, %d warm-up and up to %d timed batches%n",
                train.folder(), train.samples().size(), train.classes().size(), warmup, steps);
        out.printf("%-10s %12s %10s%n", "workers", "images/s", "images");
        for (int workers : new int[] {1, 2}) {
            try (ImageFolderIterator it = new ImageFolderIterator(train, 224, true, 32, workers, 42, false)) {
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
        }
        return 0;
    }

    private static void report(PrintStream out, Result r, Result fullPrecision, TorchBaseline.Result torch) {
        out.printf("%-46s %6d %14.3f %12.1f %9.2f %10s %12s %10s%n", r.label(), r.batch(), r.medianSeconds(),
                r.imagesPerSecond(), r.medianSeconds() / fullPrecision.medianSeconds(),
                r.helpersAttached() ? "attached" : "MISSING",
                torch == null ? "" : String.format("%.1f", torch.imagesPerSecond()),
                torch == null ? "" : String.format("%.2f", r.imagesPerSecond() / torch.imagesPerSecond()));
        out.flush();
    }

    /** {@code --deploy}: the deployment benchmark ({@link DeployBenchmark}), its files in a temporary folder. */
    private int deploy(PrintStream out) {
        List<DeployBenchmark.Network> networks = model == null ? DeployBenchmark.DEFAULT
                : List.of(new DeployBenchmark.Network(model, InputShape.parse(input)));
        Path folder = null;
        try {
            folder = DeployBenchmark.folder();
            out.printf("inference, median of %d timed repeats after %d untimed; ONNX Runtime %s with its default "
                    + "threads; images per second%n", steps, warmup, ai.onnxruntime.OrtEnvironment.getEnvironment()
                    .getVersion());
            new DeployBenchmark(new int[] {1, 32}, warmup, steps, folder).run(networks, DeployBenchmark.STUDENTS, out);
            return 0;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            if (folder != null) {
                try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(folder)) {
                    for (Path f : files.toList()) {
                        java.nio.file.Files.deleteIfExists(f);
                    }
                    java.nio.file.Files.deleteIfExists(folder);
                } catch (java.io.IOException ignored) {
                    // a temporary folder left behind
                }
            }
        }
    }
}
