package org.apprentice.study;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.apprentice.model.ModelFiles;
import org.apprentice.model.ModelSize;
import org.apprentice.train.RunFolder;

/**
 * What a study keeps of each finished step so that it can continue in a later session on a fresh machine:
 * the step's settings, metrics, provenance, its model's size and its done marker, and the model itself
 * only for the steps that later steps use (the teacher, the full-precision starting point). Kept in a
 * folder meant to be committed ({@code resnets/results/NAME/STEP/}); a step whose run folder is missing or
 * empty is restored from there, and then counts as done.
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
        Files.createDirectories(kept);
        for (String name : withModel ? concat(FILES, MODEL) : FILES) {
            if (Files.isRegularFile(run.resolve(name))) {
                Files.copy(run.resolve(name), kept.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /**
     * Restores a kept step into {@code run} when the run folder is absent or empty and {@code kept} holds a
     * finished step; true when it did. A run folder with anything in it is left alone: it resumes or is done.
     */
    static boolean restore(Path kept, Path run) throws IOException {
        if (!Files.isRegularFile(kept.resolve(StudyRunner.DONE))) {
            return false;
        }
        if (Files.isDirectory(run)) {
            try (var files = Files.list(run)) {
                if (files.findAny().isPresent()) {
                    return false;
                }
            }
        }
        Files.createDirectories(run);
        for (String name : concat(FILES, MODEL)) {
            if (Files.isRegularFile(kept.resolve(name))) {
                Files.copy(kept.resolve(name), run.resolve(name));
            }
        }
        return true;
    }

    private static List<String> concat(List<String> names, String more) {
        return java.util.stream.Stream.concat(names.stream(), java.util.stream.Stream.of(more)).toList();
    }
}
