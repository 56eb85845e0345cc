package org.apprentice.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.apprentice.kd.Models;
import org.apprentice.model.ResNetConfig;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * Epoch-end checkpoints of a run folder: {@code checkpoint-epoch-N/} (models with updater state, and the
 * run's identity and epoch) and a {@code latest} file naming the newest complete one, replaced atomically
 * after the folder is fully written. A crash while writing leaves {@code latest} on the previous
 * checkpoint; data order and augmentation are functions of (seed, epoch), so resuming needs nothing more.
 */
public final class Checkpoints {
    private static final String LATEST = "latest";

    private Checkpoints() {
    }

    /** What a resumed run starts from. */
    public record Restored(int epoch, ComputationGraph student, ComputationGraph teacher) {
    }

    public static void save(Path runFolder, int epoch, Map<String, String> identity, ComputationGraph student,
                            ResNetConfig studentConfig, ComputationGraph teacher, ResNetConfig teacherConfig)
            throws IOException {
        Path dir = runFolder.resolve("checkpoint-epoch-" + epoch);
        Files.createDirectories(dir);
        Models.save(student, studentConfig, dir.resolve("student.zip").toFile());
        if (teacher != null) {
            Models.save(teacher, teacherConfig, dir.resolve("teacher.zip").toFile());
        }
        Properties state = new Properties();
        state.putAll(identity);
        state.setProperty("epoch", String.valueOf(epoch));
        try (var out = Files.newBufferedWriter(dir.resolve("state.properties"), StandardCharsets.UTF_8)) {
            state.store(out, "Apprentice checkpoint");
        }
        AtomicFiles.writeString(runFolder.resolve(LATEST), dir.getFileName().toString());
        // older checkpoints are no longer needed
        try (Stream<Path> old = Files.list(runFolder)) {
            for (Path p : old.filter(q -> q.getFileName().toString().startsWith("checkpoint-epoch-") && !q.equals(dir))
                    .toList()) {
                deleteTree(p);
            }
        }
    }

    /** The newest checkpoint of {@code runFolder}, checked against this run's identity; one-line errors. */
    public static Restored load(Path runFolder, Map<String, String> identity, boolean withTeacher) {
        Path latest = runFolder.resolve(LATEST);
        if (!Files.isRegularFile(latest)) {
            throw new IllegalArgumentException("--resume: " + runFolder + " has no checkpoint (no " + latest.getFileName()
                    + " file); start the run without --resume");
        }
        try {
            Path dir = runFolder.resolve(Files.readString(latest, StandardCharsets.UTF_8).trim());
            Path stateFile = dir.resolve("state.properties");
            Properties state = new Properties();
            try (var in = Files.newBufferedReader(stateFile, StandardCharsets.UTF_8)) {
                state.load(in);
            } catch (IOException e) {
                throw new IllegalArgumentException("--resume: checkpoint " + stateFile + " cannot be read");
            }
            for (Map.Entry<String, String> e : identity.entrySet()) {
                if (!e.getValue().equals(state.getProperty(e.getKey()))) {
                    throw new IllegalArgumentException("--resume: checkpoint " + dir + " belongs to another run ("
                            + e.getKey() + ": " + state.getProperty(e.getKey()) + ", now " + e.getValue() + ")");
                }
            }
            int epoch;
            try {
                epoch = Integer.parseInt(state.getProperty("epoch", ""));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--resume: checkpoint " + stateFile + " has no epoch");
            }
            ComputationGraph student = Models.load(dir.resolve("student.zip").toFile(), "checkpoint");
            ComputationGraph teacher = withTeacher ? Models.load(dir.resolve("teacher.zip").toFile(), "checkpoint") : null;
            return new Restored(epoch, student, teacher);
        } catch (IOException e) {
            throw new IllegalArgumentException("--resume: cannot read " + latest + ": " + e.getMessage());
        }
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> all = Files.walk(p)) {
            for (Path q : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }
}
