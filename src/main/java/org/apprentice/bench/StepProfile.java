package org.apprentice.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Where a training step's time goes, by operation, measured with JDK Flight Recorder: the training thread is
 * sampled every {@value #PERIOD_MS} ms, in Java and in native code (ND4J's kernels, oneDNN), and each sample is
 * charged to the innermost DL4J layer, quantizer, updater or workspace frame on its stack. OpenMP worker threads
 * are not Java threads: their time shows as the training thread's wait in the kernel that started them.
 */
public final class StepProfile {
    static final int PERIOD_MS = 10;

    /** One part of a step: its seconds per step and its share of the step. */
    public record Part(String name, double secondsPerStep, double share, long samples) {
    }

    /** The parts in a fixed order (the step's own order), then the rest. */
    static final List<String> ORDER = List.of("convolution forward", "convolution backward", "batch norm forward",
            "batch norm backward", "ReLU (forward and backward)", "activation quantizer", "weight quantizer",
            "residual additions", "pooling, fc and loss", "updater (Nesterov, weight decay)", "workspaces",
            "other (graph bookkeeping, Java)");

    private StepProfile() {
    }

    /** Profiles {@code steps} training steps of {@code net} on one minibatch; returns the parts in {@link #ORDER}. */
    public static List<Part> of(ComputationGraph net, INDArray[] xs, INDArray[] ys, int steps) {
        Path file = null;
        try (Recording recording = new Recording()) {
            recording.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(PERIOD_MS));
            recording.enable("jdk.NativeMethodSample").withPeriod(Duration.ofMillis(PERIOD_MS));
            long thread = Thread.currentThread().getId();
            recording.start();
            long start = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                net.fit(xs, ys);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            recording.stop();
            file = Files.createTempFile("apprentice-step", ".jfr");
            recording.dump(file);
            return parts(file, thread, seconds / steps);
        } catch (IOException e) {
            throw new UncheckedIOException("profiling failed: " + e.getMessage(), e);
        } finally {
            if (file != null) {
                file.toFile().delete();
            }
        }
    }

    private static List<Part> parts(Path file, long thread, double secondsPerStep) throws IOException {
        Map<String, Long> counts = new LinkedHashMap<>();
        ORDER.forEach(name -> counts.put(name, 0L));
        long total = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            RecordedThread sampled = e.getThread("sampledThread");
            RecordedStackTrace stack = e.getStackTrace();
            if (sampled == null || sampled.getJavaThreadId() != thread || stack == null) {
                continue;
            }
            List<String> frames = new ArrayList<>();
            for (RecordedFrame f : stack.getFrames()) {
                frames.add(f.getMethod().getType().getName() + "." + f.getMethod().getName());
            }
            counts.merge(part(frames), 1L, Long::sum);
            total++;
        }
        List<Part> parts = new ArrayList<>();
        for (Map.Entry<String, Long> c : counts.entrySet()) {
            double share = total == 0 ? 0 : (double) c.getValue() / total;
            parts.add(new Part(c.getKey(), share * secondsPerStep, share, c.getValue()));
        }
        return parts;
    }

    /** The part a sample belongs to, from its frames ("class.method", innermost first). */
    static String part(List<String> frames) {
        for (String frame : frames) {
            String part = partOf(frame);
            if (part != null) {
                // DL4J recomputes a convolution's forward inside its backward pass: charged to the backward
                boolean inBackprop = frames.stream().anyMatch(f -> f.endsWith(".backpropGradient")
                        && (f.contains("ConvolutionLayer.") || f.contains(".BatchNormalization.")
                        || f.contains(".FastBatchNormLayer.")));
                return inBackprop ? part.replace(" forward", " backward") : part;
            }
        }
        return "other (graph bookkeeping, Java)";
    }

    private static String partOf(String frame) {
        boolean backward = frame.endsWith(".backpropGradient");
        if (frame.contains(".QuantizedWeights.") || frame.contains(".LearnedWeights.")
                || frame.contains(".LearnedConvolutionLayer.")) {
            return "weight quantizer";
        }
        if (frame.contains(".QuantizedActivation.") || frame.contains(".LearnedActivationLayer.")) {
            return "activation quantizer";
        }
        if (frame.contains(".MKLDNNConvHelper.") || frame.contains(".layers.convolution.ConvolutionLayer.")
                || frame.contains(".nn.FastConvolutionLayer.")) {
            return backward ? "convolution backward" : "convolution forward";
        }
        if (frame.contains(".MKLDNNBatchNormHelper.") || frame.contains(".layers.normalization.BatchNormalization.")
                || frame.contains(".nn.FastBatchNormLayer.")) {
            return backward ? "batch norm backward" : "batch norm forward";
        }
        if (frame.contains(".layers.ActivationLayer.") || frame.contains(".nn.FastActivationLayer.")) {
            return "ReLU (forward and backward)";
        }
        if (frame.contains(".graph.vertex.impl.ElementWiseVertex.")) {
            return "residual additions";
        }
        if (frame.contains(".layers.pooling.") || frame.contains(".layers.convolution.subsampling.")
                || frame.contains(".layers.feedforward.dense.") || frame.contains(".layers.LossLayer.")) {
            return "pooling, fc and loss";
        }
        if (frame.startsWith("org.deeplearning4j.nn.updater.") || frame.startsWith("org.nd4j.linalg.learning.")) {
            return "updater (Nesterov, weight decay)";
        }
        if (frame.startsWith("org.nd4j.linalg.api.memory.") || frame.startsWith("org.nd4j.linalg.cpu.nativecpu.workspace.")
                || frame.contains("Workspace")) {
            return "workspaces";
        }
        return null;
    }
}
