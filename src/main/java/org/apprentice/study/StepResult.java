package org.apprentice.study;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apprentice.kd.Scheme;
import org.apprentice.model.ModelFiles;
import org.apprentice.model.ModelSize;
import org.apprentice.model.ResNetArchitecture;
import org.apprentice.train.EpochRecord;
import org.apprentice.train.RunFolder;
import org.apprentice.train.RunSettings;

/**
 * What one finished (or partly finished) step left in its run folder, read through {@link RunFolder}: its
 * settings, its epochs so far, and, once complete, the size of its model ({@code student.zip}).
 *
 * @param epochs the epochs run so far, at least one
 * @param size   the model's size, or null while the step is not complete
 */
public record StepResult(String step, RunSettings settings, List<EpochRecord> epochs, ModelSize size) {

    public StepResult {
        if (epochs.isEmpty()) {
            throw new IllegalArgumentException("step " + step + " has no epoch yet");
        }
        epochs = List.copyOf(epochs);
    }

    /** Reads a step's folder; null when the step has not started (no settings or no epoch yet). */
    public static StepResult read(Path folder) {
        RunFolder run = new RunFolder(folder);
        if (Files.isRegularFile(folder.resolve("run.properties")) && !Files.isRegularFile(folder.resolve(RunFolder.SETTINGS))) {
            throw new IllegalStateException("study step " + folder + " was written by an older Apprentice (run.properties, "
                    + "no " + RunFolder.SETTINGS + "): run the study into a new --out, or remove that folder");
        }
        try {
            RunSettings settings = run.readSettings();
            List<EpochRecord> epochs = run.readEpochs();
            if (settings == null || epochs.isEmpty()) {
                return null;
            }
            Path zip = folder.resolve("student.zip");
            ModelSize size = Files.isRegularFile(zip) ? ModelSize.of(ModelFiles.load(zip.toFile(), "study step model"))
                    : run.readSize(); // a step kept without its model (StepArchive)
            return new StepResult(folder.getFileName().toString(), settings, epochs, size);
        } catch (RuntimeException e) {
            throw new IllegalStateException("study step " + folder + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** Reads every step's folder under {@code folder}. */
    static Map<String, StepResult> readAll(Study study, Path folder) {
        Map<String, StepResult> found = new LinkedHashMap<>();
        for (Study.Step s : study.steps()) {
            found.put(s.name(), StepResult.read(folder.resolve(s.name())));
        }
        if (study.repeatStep() != null) {
            String name = Study.repeatFolder(study.repeatStep());
            found.put(name, StepResult.read(folder.resolve(name)));
        }
        return found;
    }

    public Scheme scheme() {
        return settings.scheme();
    }

    /** The student's precision label: "fp32", "w2a4", ... */
    public String precision() {
        return settings.precisionLabel();
    }

    public double temperature() {
        return settings.distillation().temperature();
    }

    public int epochsPlanned() {
        return settings.optimisation().epochs();
    }

    /** Test top-1 after each epoch run so far, in [0, 1]. */
    public double[] top1() {
        return epochs.stream().mapToDouble(EpochRecord::studentTop1).toArray();
    }

    /** Scheme A: the jointly trained teacher's test top-1 after the last epoch; else NaN. */
    public double teacherTop1() {
        return epochs.get(epochs.size() - 1).teacherTop1();
    }

    /** The training time of the epochs run (evaluation excluded). */
    public double trainSeconds() {
        return epochs.stream().mapToDouble(r -> r.training().seconds()).sum();
    }

    /** The step (folder name) whose model was this step's teacher ({@code --teacher-model}), or null. */
    public String teacherFolder() {
        Path teacher = settings.distillation().teacherModel();
        return teacher == null || teacher.getParent() == null ? null : teacher.getParent().getFileName().toString();
    }

    /** Finished: every planned epoch run and the model written. */
    public boolean complete() {
        return size != null && epochs.size() >= epochsPlanned();
    }

    public double finalTop1() {
        return epochs.get(epochs.size() - 1).studentTop1();
    }

    /**
     * How much test top-1 moved between the last two evaluations (the last epoch, when every epoch is evaluated;
     * absolute, in [0, 1]); 0 with a single evaluation.
     */
    public double lastEpochChange() {
        double[] evaluated = epochs.stream().filter(EpochRecord::evaluated).mapToDouble(EpochRecord::studentTop1).toArray();
        return evaluated.length < 2 ? 0 : Math.abs(evaluated[evaluated.length - 1] - evaluated[evaluated.length - 2]);
    }

    /** Whether the student is full precision in every layer (per-layer overrides included), as its spec says. */
    public boolean fullPrecision() {
        return settings.student().precision().isFullPrecision();
    }

    /** A network of the study, as runs are matched: its architecture and width. */
    public record Network(ResNetArchitecture architecture, double width) {
        /** "resnet20", or "resnet20 x2.0" when widened: what the tables print. */
        public String label() {
            return architecture.name() + (width == 1.0 ? "" : " x" + width);
        }
    }

    /** The student's network. */
    public Network student() {
        return new Network(settings.student().architecture(), settings.student().width());
    }

    /** The teacher's network, or null without a teacher. */
    public Network teacher() {
        return settings.distillation().teacher() == null ? null
                : new Network(settings.distillation().teacher(), settings.distillation().teacherWidth());
    }

    /** The model's label: "resnet20", or "resnet20 x2.0" when widened. */
    public String model() {
        return student().label();
    }

    /** The teacher's label, as {@link #model()}; empty for scheme none. */
    public String teacherModel() {
        return teacher() == null ? "" : teacher().label();
    }

    /**
     * The first epoch from which test top-1 stays within {@code points} percentage points of the final
     * value (1-based), the convergence measure of the study.
     */
    public int epochsToWithin(double points) {
        double[] top1 = top1();
        double floor = finalTop1() - points / 100.0;
        int first = top1.length;
        for (int e = top1.length - 1; e >= 0 && top1[e] >= floor - 1e-12; e--) {
            first = e + 1;
        }
        return first;
    }
}
