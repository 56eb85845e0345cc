package org.apprentice.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apprentice.model.InputShape;
import org.nd4j.shade.jackson.annotation.JsonIgnoreProperties;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * PyTorch, side by side: runs {@code bin/torch-resnet-bench.py} (the same ResNet and training step in PyTorch)
 * with Debian's {@code python3-torch} when it is installed, for a ratio measured on the same machine in the
 * same run. An oracle for benchmarks only, never a dependency of the tool.
 */
public final class TorchBaseline {
    /** Debian's interpreter: python3-torch installs for it, not for other Pythons on the PATH. */
    public static final String PYTHON = "/usr/bin/python3";

    /** What the script measured. */
    public record Result(String model, int batch, int threads, String torch, double medianSeconds,
                         double imagesPerSecond, long parameters) {
    }

    private final Path script;
    private final Path layerScript;

    public TorchBaseline(Path home) {
        this.script = home.resolve("bin").resolve("torch-resnet-bench.py");
        this.layerScript = home.resolve("bin").resolve("torch-layer-bench.py");
    }

    /** Null when PyTorch can be run here, else why not (one line). */
    public String unavailable() {
        if (!Files.isRegularFile(script)) {
            return script + " is missing";
        }
        if (!Files.isExecutable(Path.of(PYTHON))) {
            return PYTHON + " is missing";
        }
        Outcome check = exec(List.of(PYTHON, "-c", "import torch"), 60);
        return check.status == 0 ? null : "PyTorch is not installed (sudo apt-get install python3-torch)";
    }

    /** Times {@code steps} training steps of {@code model} in PyTorch with {@code threads} threads. */
    public Result run(String model, int batch, InputShape input, int classes, int warmup, int steps, int threads) {
        List<String> command = new ArrayList<>(List.of(PYTHON, script.toString(), model, String.valueOf(batch),
                input.channels() + "," + input.height() + "," + input.width(), String.valueOf(classes),
                String.valueOf(warmup), String.valueOf(steps), String.valueOf(threads)));
        Outcome outcome = exec(command, 3600);
        String last = outcome.output.strip().lines().reduce((a, b) -> b).orElse("");
        if (outcome.status != 0 || !last.startsWith("{")) {
            throw new IllegalStateException("PyTorch benchmark of " + model + " failed: " + last);
        }
        try {
            JsonNode r = new ObjectMapper().readTree(last);
            return new Result(r.get("model").asText(), r.get("batch").asInt(), r.get("threads").asInt(),
                    r.get("torch").asText(), r.get("median_seconds").asDouble(), r.get("images_per_second").asDouble(),
                    r.get("parameters").asLong());
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("PyTorch benchmark printed what is not its result: " + last);
        }
    }

    /** What {@code bin/torch-layer-bench.py} reads: its threads, warm-up and timed steps, and the layers. */
    record LayerRequest(int threads, int warmup, int steps, List<LayerBenchmark.TorchLayer> cases) {
    }

    /** What it prints: PyTorch's version and each layer's median seconds (null for a kind it does not know). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record LayerTimes(String torch, List<Double> seconds) {
    }

    /**
     * Median seconds of one forward + backward of each layer ({@code bin/torch-layer-bench.py}), in the order
     * given; NaN for a kind the script does not know.
     */
    public double[] runLayers(List<LayerBenchmark.TorchLayer> cases, int warmup, int steps, int threads) {
        Path spec = null;
        try {
            spec = Files.createTempFile("apprentice-layers", ".json");
            ObjectMapper json = new ObjectMapper();
            json.writeValue(spec.toFile(), new LayerRequest(threads, warmup, steps, cases));
            Outcome outcome = exec(List.of(PYTHON, layerScript.toString(), spec.toString()), 3600);
            String last = outcome.output.strip().lines().reduce((a, b) -> b).orElse("");
            if (outcome.status != 0 || !last.startsWith("{")) {
                throw new IllegalStateException("PyTorch layer benchmark failed: " + last);
            }
            LayerTimes times = json.readValue(last, LayerTimes.class);
            if (times.seconds() == null || times.seconds().size() != cases.size()) {
                throw new IllegalStateException("PyTorch layer benchmark timed " + (times.seconds() == null ? 0
                        : times.seconds().size()) + " layers of " + cases.size() + ": " + last);
            }
            return times.seconds().stream().mapToDouble(t -> t == null ? Double.NaN : t).toArray();
        } catch (IOException e) {
            throw new IllegalStateException("PyTorch layer benchmark printed what is not its result: " + e.getMessage());
        } finally {
            if (spec != null) {
                spec.toFile().delete();
            }
        }
    }

    private record Outcome(int status, String output) {
    }

    private static Outcome exec(List<String> command, int timeoutSeconds) {
        Path log = null;
        try {
            log = Files.createTempFile("apprentice-torch", ".log");
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Outcome(-1, "timed out after " + timeoutSeconds + " s");
            }
            return new Outcome(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Outcome(-1, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(-1, "interrupted");
        } finally {
            if (log != null) {
                log.toFile().delete();
            }
        }
    }
}
