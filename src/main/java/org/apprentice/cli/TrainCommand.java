package org.apprentice.cli;

import com.beust.jcommander.Parameter;
import com.beust.jcommander.Parameters;
import com.beust.jcommander.ParametersDelegate;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import org.apprentice.train.RunSettings;
import org.apprentice.train.SettingKeys;
import org.apprentice.train.TrainingRun;

/**
 * {@code apprentice train}: one run of scheme A, B, C (or its control) or none. The fields declare the flags for
 * JCommander, which checks the command line's syntax and prints their help; their defaults are those of
 * {@link RunSettings#builder()}. {@link #settings} reads the recipe and the flags through {@link SettingKeys}, the one
 * table that recipes and study steps are read through too.
 */
@Parameters(commandDescription = "Train a student: --scheme none (no teacher), A (joint), B (trained teacher), C (lower a trained model, fine-tune)")
final class TrainCommand {
    private static final RunSettings DEFAULTS = RunSettings.defaults();

    @Parameter(names = "--recipe", description = "A recipe file (resnets/recipes/*.properties) that fixes the run; flags given here override its fields")
    String recipe;

    @Parameter(names = "--scheme", description = "none, A, B, C or C-control (scheme C's control, as --scheme C --no-teacher)")
    String scheme = DEFAULTS.scheme().flag();

    @Parameter(names = "--student", description = "Student model name")
    String student = DEFAULTS.student().name();

    @Parameter(names = "--width", description = "Student width multiplier")
    double width = DEFAULTS.student().width();

    @ParametersDelegate
    PrecisionOptions precision = new PrecisionOptions();

    @Parameter(names = "--teacher", description = "Teacher model name (default: the architecture recorded in "
            + "--teacher-model, else the next deeper ResNet of the student's family)")
    String teacher;

    @Parameter(names = "--teacher-width", description = "Teacher width multiplier (default: recorded in --teacher-model, else 1.0)")
    Double teacherWidth;

    @Parameter(names = "--teacher-model", description = "Trained full-precision teacher: a zip, or a PyTorch ResNet as .safetensors (torchvision names) or .onnx (schemes B and C; default: the model store, else trained first)")
    Path teacherModel;

    @Parameter(names = {"--init", "--student-init"}, description = "A model file (zip, .safetensors, or .onnx with "
            + "batch norm) the student starts from. Scheme none, full precision: transfer learning from its weights (a "
            + "classifier for other classes is replaced by a fresh one for the data's). Scheme C and its control: the "
            + "full-precision model lowered (fine-tuned first when it was trained on other classes); default: the model "
            + "store, else trained first")
    Path studentInit;

    @Parameter(names = "--freeze-epochs", description = "With --init: the first N epochs train only the classifier "
            + "(batch norm's running statistics still follow the data)")
    int freezeEpochs = DEFAULTS.optimisation().freezeEpochs();

    @ParametersDelegate
    DataOptions dataOptions = new DataOptions();

    @Parameter(names = "--train-subset", description = "Training images to keep (stratified, drawn with --subset-seed); 0 keeps all")
    int trainSubset = DEFAULTS.data().trainSubset();

    @Parameter(names = "--subset-seed", description = "The seed that draws --train-subset (default: --seed), apart from "
            + "the one of the initial weights, minibatch order and augmentation")
    Long subsetSeed;

    @Parameter(names = "--skip-bad-images", description = "Leave out (with one warning line each, counted) image files "
            + "that do not decode, instead of stopping")
    boolean skipBadImages;

    @Parameter(names = "--epochs", description = "Epochs")
    int epochs = DEFAULTS.optimisation().epochs();

    @Parameter(names = "--pretrain-epochs", description = "Schemes B/C: epochs of a teacher or full-precision "
            + "student that is not in the model store and so is trained first (at lr 0.1); 0: the run's --epochs")
    int pretrainEpochs = DEFAULTS.distillation().pretrainEpochs();

    @Parameter(names = "--batch", description = "Minibatch size")
    int batch = DEFAULTS.optimisation().batch();

    @Parameter(names = "--replicas", description = "Data-parallel replicas of the student (DL4J's ParallelWrapper, "
            + "parameters and momenta averaged after every step), each taking batch/N images a step and "
            + "cores/N threads; not for scheme A")
    int replicas = DEFAULTS.execution().replicas();

    @Parameter(names = "--spark", description = "Train through Spark at this master (local[N] or a cluster URL), "
            + "DL4J's parameter averaging after every step; needs the Spark build (APPRENTICE_SPARK=1); not for scheme A")
    String spark;

    @Parameter(names = "--lr", description = "Learning rate, SGD with Nesterov momentum 0.9 (default 0.1; 0.01 where a trained model is fine-tuned: scheme C, and --init)")
    Double lr;

    @Parameter(names = "--schedule", description = "Learning-rate schedule: constant, step (x0.1 at 1/2 and 3/4 of the epochs), cosine (by epoch), cosine-steps (by optimizer step)")
    String schedule = DEFAULTS.optimisation().schedule().flag();

    @Parameter(names = "--resume", description = "Continue the run in --out from its last epoch-end checkpoint (same settings)")
    boolean resume;

    @Parameter(names = "--stop-after-epoch", description = "Stop after this epoch (its checkpoint written), to continue later with --resume; 0 runs to the end")
    int stopAfterEpoch = DEFAULTS.execution().stopAfterEpoch();

    @Parameter(names = "--ui", description = "Show DL4J's training UI (StatsListener) at http://localhost:PORT/train")
    boolean ui;

    @Parameter(names = "--ui-port", description = "Port of the training UI")
    int uiPort = 9000;

    @Parameter(names = "--wd", description = "L2 weight decay")
    double wd = DEFAULTS.optimisation().weightDecay();

    @Parameter(names = "--no-teacher", description = "With --scheme C: its control, the lowered model fine-tuned "
            + "with the same schedule and no teacher, to tell what distillation adds from what the extra epochs add")
    boolean noTeacher;

    @Parameter(names = "--wd-form", description = "How --wd enters training: l2 (added to the gradient before "
            + "the momentum step, as torch.optim.SGD's weight_decay) or decoupled (DL4J's WeightDecay, after the updater)")
    String wdForm = DEFAULTS.optimisation().weightDecayForm().flag();

    @Parameter(names = "--augment", description = "Training augmentation: crop-flip (random crop after zero padding, "
            + "2 px at 28x28 and 4 px at 32x32, and a horizontal flip; image folders: their random crop and flip) or "
            + "none; never in evaluation")
    String augment = DEFAULTS.data().augment().flag();

    @Parameter(names = "--alpha", description = "Weight of the teacher's cross-entropy H(y, p_T) (scheme A)")
    double alpha = DEFAULTS.distillation().alpha();

    @Parameter(names = "--beta", description = "Weight of the student's cross-entropy H(y, p_A)")
    double beta = DEFAULTS.distillation().beta();

    @Parameter(names = "--gamma", description = "Weight of the distillation term H(teacher, p_A)")
    double gamma = DEFAULTS.distillation().gamma();

    @Parameter(names = "--temperature", description = "Softmax temperature of the distillation term (T^2-scaled)")
    double temperature = DEFAULTS.distillation().temperature();

    @Parameter(names = "--target", description = "Distillation target: softmax (teacher probabilities at T) or logits (raw teacher logits, the paper's notation read literally)")
    String target = DEFAULTS.distillation().target().flag();

    @Parameter(names = "--cache-teacher-logits", description = "Schemes B/C with in-memory data: compute the frozen teacher's logits once for the training set and reuse them every epoch (inputs repeat exactly: no augmentation)")
    boolean cacheTeacherLogits;

    @Parameter(names = "--teacher-logits-store", description = "Schemes B/C with a trained teacher: keep its logits of "
            + "each minibatch in DIR, and read them there in later runs that show it the same minibatches (same teacher "
            + "file, data, seed, batch, augmentation, code, machine and threads; each minibatch checked by its images' "
            + "SHA-256): the same numbers, without the teacher's forward pass")
    java.nio.file.Path teacherLogitsStore;

    @Parameter(names = "--eval-every", description = "Evaluate on the test split every N epochs (and after the last); 1: every epoch")
    int evalEvery = DEFAULTS.execution().evalEvery();

    @Parameter(names = "--seed", description = "Random seed: initial weights, minibatch order, augmentation (and the subset, unless --subset-seed)")
    long seed = DEFAULTS.optimisation().seed();

    @Parameter(names = "--out", description = "Run folder (default runs/<scheme>-<student>-<precision>-<time>)")
    Path out;

    int run(Path home, PrintStream stdout, List<String> words) throws IOException {
        new TrainingRun(settings(home, words), home, stdout).run();
        return 0;
    }

    /**
     * The run the train command's words describe: the recipe's changes, then the command line's (which so win), both
     * read through {@link SettingKeys} (the fields above declare the flags for parsing and help); one-line errors name
     * the flag, or the recipe's file and key.
     */
    RunSettings settings(Path home, List<String> words) {
        List<String> flags = new ArrayList<>(words);
        RunSettings.Builder b = RunSettings.builder();
        int at = flags.indexOf("--recipe");
        if (at >= 0) {
            SettingKeys.apply(b, SettingKeys.fromRecipe(recipeFile(home, flags.get(at + 1))));
            flags.subList(at, at + 2).clear();
        }
        RunSettings settings = SettingKeys.apply(b, SettingKeys.fromFlags(flags, "the command line")).build();
        if (settings.execution().out() != null) {
            return settings;
        }
        Path folder = home.resolve("runs").resolve(String.format("%s-%s-%s-%s", settings.scheme().flag().toLowerCase(),
                settings.student().name(), settings.precisionLabel().replaceAll("[^A-Za-z0-9.]+", "-"),
                LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))));
        return settings.toBuilder().out(folder).build();
    }

    /** A recipe given by path, or relative to the project's folder. */
    static Path recipeFile(Path home, String given) {
        Path file = Path.of(given);
        if (!Files.isRegularFile(file) && Files.isRegularFile(home.resolve(file))) {
            file = home.resolve(file);
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--recipe " + file + " does not exist");
        }
        return file;
    }
}
