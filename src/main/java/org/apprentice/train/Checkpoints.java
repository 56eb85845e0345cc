package org.apprentice.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.apprentice.model.ModelFiles;
import org.apprentice.io.AtomicFiles;
import org.apprentice.model.ResNetConfig;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.shade.jackson.databind.JsonNode;

/**
 * Epoch-end checkpoints of a run folder: {@code checkpoint-epoch-N/} (models with updater state, and the
 * run's identity and epoch) and a {@code latest} file naming the newest complete one, replaced atomically
 * after the folder is fully written. A crash while writing leaves {@code latest} on the previous
 * checkpoint; data order and augmentation are functions of (seed, epoch), so resuming needs nothing more.
 */
public final class Checkpoints {
    static final String LATEST = "latest";
    private static final String STATE = "state.json";

    private Checkpoints() {
    }

    /** What a resumed run starts from. */
    public record Restored(int epoch, ComputationGraph student, ComputationGraph teacher) {
    }

    /** What a checkpoint records beside its models: the epoch it ends and the identity of its run. */
    record State(int epoch, RunSettings identity) {
    }

    public static void save(Path runFolder, int epoch, RunSettings settings, ComputationGraph student,
                            ResNetConfig studentConfig, ComputationGraph teacher, ResNetConfig teacherConfig)
            throws IOException {
        Path dir = runFolder.resolve("checkpoint-epoch-" + epoch);
        Files.createDirectories(dir);
        ModelFiles.save(student, studentConfig, dir.resolve("student.zip").toFile());
        if (teacher != null) {
            ModelFiles.save(teacher, teacherConfig, dir.resolve("teacher.zip").toFile());
        }
        RunJson.write(dir.resolve(STATE), new State(epoch, settings.identity()));
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
    public static Restored load(Path runFolder, RunSettings settings, boolean withTeacher) {
        Path latest = runFolder.resolve(LATEST);
        if (!Files.isRegularFile(latest)) {
            throw new IllegalArgumentException("--resume: " + runFolder + " has no checkpoint (no " + latest.getFileName()
                    + " file); start the run without --resume");
        }
        Path dir;
        try {
            dir = runFolder.resolve(Files.readString(latest, StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
            throw new IllegalArgumentException("--resume: cannot read " + latest + ": " + e.getMessage());
        }
        State state;
        try {
            state = RunJson.read(dir.resolve(STATE), State.class);
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException("--resume: checkpoint " + e.getMessage());
        }
        String difference = firstDifference(RunJson.tree(state.identity().identity()),
                RunJson.tree(settings.identity()), "");
        if (difference != null) {
            throw new IllegalArgumentException("--resume: checkpoint " + dir + " belongs to another run (" + difference + ")");
        }
        ComputationGraph student = ModelFiles.load(dir.resolve("student.zip").toFile(), "checkpoint model");
        ComputationGraph teacher = withTeacher ? ModelFiles.load(dir.resolve("teacher.zip").toFile(), "checkpoint model") : null;
        return new Restored(state.epoch(), student, teacher);
    }

    /** "field: saved, now current" for the first setting that differs, or null when none does. */
    private static String firstDifference(JsonNode saved, JsonNode now, String path) {
        if (saved.equals(now)) {
            return null;
        }
        if (saved.isObject() && now.isObject()) {
            for (java.util.Iterator<String> names = now.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                JsonNode s = saved.get(name);
                String d = s == null ? path + name + ": absent, now " + now.get(name)
                        : firstDifference(s, now.get(name), path + name + ".");
                if (d != null) {
                    return d;
                }
            }
        }
        String name = path.endsWith(".") ? path.substring(0, path.length() - 1) : path;
        return name + ": " + saved + ", now " + now;
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> all = Files.walk(p)) {
            for (Path q : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }
}
