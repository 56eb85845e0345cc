package org.apprentice.cli;

import com.beust.jcommander.Parameter;
import com.beust.jcommander.Parameters;
import com.beust.jcommander.ParametersDelegate;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import org.apprentice.kd.ApprenticeLoss;
import org.apprentice.kd.Scheme;
import org.apprentice.model.LayerPrecision;
import org.apprentice.model.ModelRegistry;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.train.RunSettings;
import org.apprentice.train.TrainingRun;

/** {@code apprentice train}: one run of scheme A, B, C or none. */
@Parameters(commandDescription = "Train a student: --scheme none (no teacher), A (joint), B (trained teacher), C (lower a trained model, fine-tune)")
final class TrainCommand {
    @Parameter(names = "--recipe", description = "A recipe file (resnets/recipes/*.properties) that fixes the run; flags given here override its fields")
    String recipe;

    @Parameter(names = "--scheme", description = "none, A, B or C")
    String scheme = "none";

    @Parameter(names = "--student", description = "Student model name")
    String student = "resnet20";

    @Parameter(names = "--width", description = "Student width multiplier")
    double width = 1.0;

    @ParametersDelegate
    PrecisionOptions precision = new PrecisionOptions();

    @Parameter(names = "--teacher", description = "Teacher model name (default: the next deeper ResNet of the student's family)")
    String teacher;

    @Parameter(names = "--teacher-width", description = "Teacher width multiplier")
    double teacherWidth = 1.0;

    @Parameter(names = "--teacher-model", description = "Trained full-precision teacher zip (schemes B and C; default: the model store, else trained first)")
    File teacherModel;

    @Parameter(names = "--student-init", description = "Trained full-precision student zip to lower (scheme C; default: the model store, else trained first)")
    File studentInit;

    @ParametersDelegate
    DataOptions dataOptions = new DataOptions();

    @Parameter(names = "--train-subset", description = "Training images to keep (stratified, seeded); 0 keeps all")
    int trainSubset = 0;

    @Parameter(names = "--skip-bad-images", description = "Leave out (with one warning line each, counted) image files "
            + "that do not decode, instead of stopping")
    boolean skipBadImages;

    @Parameter(names = "--epochs", description = "Epochs")
    int epochs = 2;

    @Parameter(names = "--batch", description = "Minibatch size")
    int batch = 128;

    @Parameter(names = "--lr", description = "Learning rate, SGD with Nesterov momentum 0.9 (default 0.1; 0.01 for scheme C, which fine-tunes)")
    Double lr;

    @Parameter(names = "--schedule", description = "Learning-rate schedule by epoch: constant, step (x0.1 at 1/2 and 3/4 of the epochs), cosine")
    String schedule = "cosine";

    @Parameter(names = "--resume", description = "Continue the run in --out from its last epoch-end checkpoint (same settings)")
    boolean resume;

    @Parameter(names = "--stop-after-epoch", description = "Stop after this epoch (its checkpoint written), to continue later with --resume; 0 runs to the end")
    int stopAfterEpoch;

    @Parameter(names = "--ui", description = "Show DL4J's training UI (StatsListener) at http://localhost:PORT/train")
    boolean ui;

    @Parameter(names = "--ui-port", description = "Port of the training UI")
    int uiPort = 9000;

    @Parameter(names = "--wd", description = "L2 weight decay")
    double wd = 1e-4;

    @Parameter(names = "--alpha", description = "Weight of the teacher's cross-entropy H(y, p_T) (scheme A)")
    double alpha = 1.0;

    @Parameter(names = "--beta", description = "Weight of the student's cross-entropy H(y, p_A)")
    double beta = ApprenticeLoss.PAPER_BETA;

    @Parameter(names = "--gamma", description = "Weight of the distillation term H(teacher, p_A)")
    double gamma = ApprenticeLoss.PAPER_GAMMA;

    @Parameter(names = "--temperature", description = "Softmax temperature of the distillation term (T^2-scaled)")
    double temperature = 1.0;

    @Parameter(names = "--target", description = "Distillation target: softmax (teacher probabilities at T) or logits (raw teacher logits, the paper's notation read literally)")
    String target = "softmax";

    @Parameter(names = "--cache-teacher-logits", description = "Schemes B/C with in-memory data: compute the frozen teacher's logits once for the training set and reuse them every epoch (inputs repeat exactly: no augmentation)")
    boolean cacheTeacherLogits;

    @Parameter(names = "--seed", description = "Random seed")
    long seed = 42;

    @Parameter(names = "--out", description = "Run folder (default runs/<scheme>-<student>-<precision>-<time>)")
    Path out;

    int run(Path home, PrintStream stdout) throws IOException {
        Scheme parsed = Scheme.parse(scheme);
        ModelRegistry.get(student);
        String teacherName = teacher != null ? teacher : RunSettings.defaultTeacher(student);
        ModelRegistry.get(teacherName);
        PrecisionSpec spec = precision.spec(parsed == Scheme.NONE ? LayerPrecision.FULL : 2);
        ApprenticeLoss.Target parsedTarget = switch (target.toLowerCase()) {
            case "softmax" -> ApprenticeLoss.Target.SOFTMAX;
            case "logits" -> ApprenticeLoss.Target.LOGITS;
            default -> throw new IllegalArgumentException("--target '" + target + "' is not one of softmax, logits");
        };
        if (epochs < 1 || batch < 1) {
            throw new IllegalArgumentException("--epochs and --batch must be >= 1, got " + epochs + " and " + batch);
        }
        double learningRate = lr != null ? lr : (parsed == Scheme.C ? 0.01 : 0.1);
        if (resume && out == null) {
            throw new IllegalArgumentException("--resume needs --out DIR, the folder of the run to continue");
        }
        org.apprentice.train.LearningRates.schedule(schedule, 0.1, epochs); // validates
        Path folder = out != null ? out : home.resolve("runs").resolve(String.format("%s-%s-%s-%s",
                parsed.name().toLowerCase(), student, spec.body().label(),
                LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))));
        new ApprenticeLoss(beta, gamma, temperature, parsedTarget); // validates
        RunSettings settings = new RunSettings(parsed, student, width, spec, teacherName, teacherWidth, teacherModel,
                studentInit, dataOptions.data, trainSubset, epochs, batch, learningRate, wd, alpha, beta, gamma, temperature,
                parsedTarget, cacheTeacherLogits, seed, folder, dataOptions.imageSize, dataOptions.workers, skipBadImages, schedule, resume,
                stopAfterEpoch, ui ? uiPort : 0);
        new TrainingRun(settings, home, stdout).run();
        return 0;
    }
}
