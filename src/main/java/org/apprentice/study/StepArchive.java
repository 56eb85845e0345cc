package org.apprentice.study;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import org.apprentice.model.ModelFiles;
import org.apprentice.model.ModelSize;
import org.apprentice.train.RunFolder;

/**
 * What a study keeps of each finished step so that it can continue in a later session on a fresh machine:
 * the step's settings, metrics, provenance, its model's size and its done marker, and the model itself
 * (without its updater state) only for the steps that later steps use (the teacher, the full-precision
 * starting point). Kept in a folder meant to be committed ({@code resnets/results/NAME/STEP/}); a step
 * whose run folder is missing, empty or unfinished is restored from there, and then counts as done. Both directions
 * write a temporary folder and move it into place, so an interrupted copy never looks finished.
 */
final class StepArchive {
    /** The files kept of every step; the model is kept only where a later step uses it. */
    private static final List<String> FILES = List.of(StudyRunner.DONE, RunFolder.SETTINGS, RunFolder.METRICS,
            "student.json", RunFolder.SIZE);
    private static final String MODEL = "student.zip";

    private StepArchive() {
    }

    /** Copies a finished step's files from {@code run} to {@code kept}, the model too when {@code withModel}. */
    static void keep(Path run, Path kept, boolean withModel) throws IOException {
        Path model = run.resolve(MODEL);
        if (Files.isRegularFile(model) && !Files.isRegularFile(run.resolve(RunFolder.SIZE))) {
            new RunFolder(run).writeSize(ModelSize.of(ModelFiles.load(model.toFile(), "study step model")));
        }
        Path part = kept.resolveSibling(kept.getFileName() + ".part");
        delete(part);
        Files.createDirectories(part);
        for (String name : FILES) {
            if (Files.isRegularFile(run.resolve(name))) {
                Files.copy(run.resolve(name), part.resolve(name));
            }
        }
        if (withModel && Files.isRegularFile(model)) {
            ModelFiles.copyWithoutUpdater(model.toFile(), part.resolve(MODEL).toFile());
        }
        delete(kept);
        Files.move(part, kept, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Restores a kept step into {@code run} when {@code kept} holds the step finished by {@code command} and the
     * run folder is absent or empty, or, with {@code replaceUnfinished}, cut short (e.g. where another machine or
     * session finished the same step); true when it did. An unfinished run folder is moved aside to
     * {@code STEP.unfinished} (or {@code STEP.unfinished-2}, ...), never deleted. A finished run folder is left
     * alone; a kept step finished by another command is refused, naming both folders.
     */
    static boolean restore(Path kept, Path run, String command, boolean replaceUnfinished) throws IOException {
        Path done = kept.resolve(StudyRunner.DONE);
        boolean replaceable = isEmptyOrAbsent(run) || (replaceUnfinished && !Files.isRegularFile(run.resolve(StudyRunner.DONE)));
        if (!Files.isRegularFile(done) || !replaceable) {
            return false;
        }
        String keptCommand = Files.readString(done, StandardCharsets.UTF_8).trim();
        if (!keptCommand.equals(command)) {
            throw new IllegalArgumentException("study step " + kept + " was kept from another command ("
                    + keptCommand + "); remove that folder to run the step again into " + run);
        }
        Path part = run.resolveSibling(run.getFileName() + ".restoring");
        delete(part);
        Files.createDirectories(part);
        for (String name : concat(FILES, MODEL)) {
            if (Files.isRegularFile(kept.resolve(name))) {
                Files.copy(kept.resolve(name), part.resolve(name));
            }
        }
        if (!isEmptyOrAbsent(run)) {
            Files.move(run, freeAside(run), StandardCopyOption.ATOMIC_MOVE);
        }
        delete(run);
        Files.move(part, run, StandardCopyOption.ATOMIC_MOVE);
        return true;
    }

    /** The first of {@code STEP.unfinished}, {@code STEP.unfinished-2}, ... that does not exist. */
    private static Path freeAside(Path run) {
        Path aside = run.resolveSibling(run.getFileName() + ".unfinished");
        for (int n = 2; Files.exists(aside); n++) {
            aside = run.resolveSibling(run.getFileName() + ".unfinished-" + n);
        }
        return aside;
    }

    /** The last folder an unfinished run folder of this step was moved aside to (the highest number). */
    static Path lastMovedAside(Path run) {
        Path last = run.resolveSibling(run.getFileName() + ".unfinished");
        for (int n = 2; Files.exists(run.resolveSibling(run.getFileName() + ".unfinished-" + n)); n++) {
            last = run.resolveSibling(run.getFileName() + ".unfinished-" + n);
        }
        return last;
    }

    /**
     * Drops the kept model of a step whose users have all finished: a later session no longer needs it to continue,
     * and the kept step still holds its settings, metrics and size. True when a model was dropped.
     */
    static boolean dropModel(Path kept) throws IOException {
        return Files.deleteIfExists(kept.resolve(MODEL));
    }

    static boolean kept(Path kept) {
        return Files.isRegularFile(kept.resolve(StudyRunner.DONE));
    }

    static boolean isEmptyOrAbsent(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return !Files.exists(dir);
        }
        try (var files = Files.list(dir)) {
            return files.findAny().isEmpty();
        }
    }

    private static void delete(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            try (var walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private static List<String> concat(List<String> names, String more) {
        return java.util.stream.Stream.concat(names.stream(), java.util.stream.Stream.of(more)).toList();
    }
}
