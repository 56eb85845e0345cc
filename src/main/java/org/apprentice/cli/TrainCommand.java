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
import org.apprentice.data.Augment;
import org.apprentice.kd.ApprenticeLoss;
import org.apprentice.kd.Scheme;
import org.apprentice.model.ModelFiles;
import org.apprentice.model.WeightDecay;
import org.apprentice.train.RunSettings;
import org.apprentice.train.Schedule;
import org.apprentice.train.TrainingRun;

/**
 * {@code apprentice train}: one run of scheme A, B, C or none. The flags' defaults are those of
 * {@link RunSettings#builder()}; {@link #settings(Path)} turns the parsed flags into the typed settings.
 */
@Parameters(commandDescription = "Train a student: --scheme none (no teacher), A (joint), B (trained teacher), C (lower a trained model, fine-tune)")
final class TrainCommand {
    private static final RunSettings DEFAULTS = RunSettings.defaults();

    @Parameter(names = "--recipe", description = "A recipe file (resnets/recipes/*.properties) that fixes the run; flags given here override its fields")
    String recipe;

    @Parameter(names = "--scheme", description = "none, A, B or C")
    String scheme = DEFAULTS.scheme().flag();

    @Parameter(names = "--student", description = "Student model name")
    String student = DEFAULTS.student();

    @Parameter(names = "--width", description = "Student width multiplier")
    double width = DEFAULTS.studentWidth();

    @ParametersDelegate
    PrecisionOptions precision = new PrecisionOptions();

    @Parameter(names = "--teacher", description = "Teacher model name (default: the architecture recorded in "
            + "--teacher-model, else the next deeper ResNet of the student's family)")
    String teacher;

    @Parameter(names = "--teacher-width", description = "Teacher width multiplier (default: recorded in --teacher-model, else 1.0)")
    Double teacherWidth;

    @Parameter(names = "--teacher-model", description = "Trained full-precision teacher: a zip, or a PyTorch ResNet as .safetensors (torchvision names) or .onnx (schemes B and C; default: the model store, else trained first)")
    Path teacherModel;

    @Parameter(names = "--student-init", description = "Trained full-precision student to lower: a zip, .safetensors or .onnx (scheme C; default: the model store, else trained first)")
    Path studentInit;

    @ParametersDelegate
    DataOptions dataOptions = new DataOptions();

    @Parameter(names = "--train-subset", description = "Training images to keep (stratified, seeded); 0 keeps all")
    int trainSubset = DEFAULTS.trainSubset();

    @Parameter(names = "--skip-bad-images", description = "Leave out (with one warning line each, counted) image files "
            + "that do not decode, instead of stopping")
    boolean skipBadImages;

    @Parameter(names = "--epochs", description = "Epochs")
    int epochs = DEFAULTS.epochs();

    @Parameter(names = "--pretrain-epochs", description = "Schemes B/C: epochs of a teacher or full-precision "
            + "student that is not in the model store and so is trained first (at lr 0.1); 0: the run's --epochs")
    int pretrainEpochs = DEFAULTS.pretrainEpochs();

    @Parameter(names = "--batch", description = "Minibatch size")
    int batch = DEFAULTS.batch();

    @Parameter(names = "--replicas", description = "Data-parallel replicas of the student (DL4J's ParallelWrapper, "
            + "parameters and momenta averaged after every step), each taking batch/N images a step and "
            + "cores/N threads; not for scheme A")
    int replicas = DEFAULTS.replicas();

    @Parameter(names = "--spark", description = "Train through Spark at this master (local[N] or a cluster URL), "
            + "DL4J's parameter averaging after every step; needs the Spark build (APPRENTICE_SPARK=1); not for scheme A")
    String spark;

    @Parameter(names = "--lr", description = "Learning rate, SGD with Nesterov momentum 0.9 (default 0.1; 0.01 for scheme C, which fine-tunes)")
    Double lr;

    @Parameter(names = "--schedule", description = "Learning-rate schedule by epoch: constant, step (x0.1 at 1/2 and 3/4 of the epochs), cosine")
    String schedule = DEFAULTS.schedule().flag();

    @Parameter(names = "--resume", description = "Continue the run in --out from its last epoch-end checkpoint (same settings)")
    boolean resume;

    @Parameter(names = "--stop-after-epoch", description = "Stop after this epoch (its checkpoint written), to continue later with --resume; 0 runs to the end")
    int stopAfterEpoch = DEFAULTS.stopAfterEpoch();

    @Parameter(names = "--ui", description = "Show DL4J's training UI (StatsListener) at http://localhost:PORT/train")
    boolean ui;

    @Parameter(names = "--ui-port", description = "Port of the training UI")
    int uiPort = 9000;

    @Parameter(names = "--wd", description = "L2 weight decay")
    double wd = DEFAULTS.weightDecay();

    @Parameter(names = "--no-teacher", description = "With --scheme C: its control, the lowered model fine-tuned "
            + "with the same schedule and no teacher, to tell what distillation adds from what the extra epochs add")
    boolean noTeacher;

    @Parameter(names = "--wd-form", description = "How --wd enters training: l2 (added to the gradient before "
            + "the momentum step, as torch.optim.SGD's weight_decay) or decoupled (DL4J's WeightDecay, after the updater)")
    String wdForm = DEFAULTS.weightDecayForm().flag();

    @Parameter(names = "--augment", description = "Training augmentation: crop-flip (random crop after zero padding, "
            + "2 px at 28x28 and 4 px at 32x32, and a horizontal flip; image folders: their random crop and flip) or "
            + "none; never in evaluation")
    String augment = DEFAULTS.augment().flag();

    @Parameter(names = "--alpha", description = "Weight of the teacher's cross-entropy H(y, p_T) (scheme A)")
    double alpha = DEFAULTS.alpha();

    @Parameter(names = "--beta", description = "Weight of the student's cross-entropy H(y, p_A)")
    double beta = DEFAULTS.beta();

    @Parameter(names = "--gamma", description = "Weight of the distillation term H(teacher, p_A)")
    double gamma = DEFAULTS.gamma();

    @Parameter(names = "--temperature", description = "Softmax temperature of the distillation term (T^2-scaled)")
    double temperature = DEFAULTS.temperature();

    @Parameter(names = "--target", description = "Distillation target: softmax (teacher probabilities at T) or logits (raw teacher logits, the paper's notation read literally)")
    String target = DEFAULTS.target().flag();

    @Parameter(names = "--cache-teacher-logits", description = "Schemes B/C with in-memory data: compute the frozen teacher's logits once for the training set and reuse them every epoch (inputs repeat exactly: no augmentation)")
    boolean cacheTeacherLogits;

    @Parameter(names = "--seed", description = "Random seed")
    long seed = DEFAULTS.seed();

    @Parameter(names = "--out", description = "Run folder (default runs/<scheme>-<student>-<precision>-<time>)")
    Path out;

    int run(Path home, PrintStream stdout) throws IOException {
        new TrainingRun(settings(home), home, stdout).run();
        return 0;
    }

    /** The run these flags describe; one-line errors name the flag. */
    RunSettings settings(Path home) {
        Scheme parsed = Scheme.parse(scheme);
        // a teacher file says what it is: its architecture is the default teacher
        ModelFiles.Architecture recorded = teacherModel != null && Files.isRegularFile(teacherModel)
                ? ModelFiles.recordedArchitecture(teacherModel.toFile()) : null;
        RunSettings settings = RunSettings.builder().scheme(parsed).student(student).studentWidth(width)
                .precision(precision.spec(RunSettings.defaultWeightBits(parsed)))
                .teacher(teacher != null ? teacher : recorded != null ? recorded.name() : null)
                .teacherWidth(teacherWidth != null ? teacherWidth
                        : recorded != null && (teacher == null || teacher.equals(recorded.name())) ? recorded.width()
                        : DEFAULTS.teacherWidth()).teacherModel(teacherModel).studentInit(studentInit)
                .data(dataOptions.spec()).trainSubset(trainSubset).imageSize(dataOptions.imageSize)
                .workers(dataOptions.workers).replicas(replicas).spark(spark).skipBadImages(skipBadImages).epochs(epochs).pretrainEpochs(pretrainEpochs).batch(batch).learningRate(lr)
                .schedule(Schedule.parse(schedule)).weightDecay(wd).weightDecayForm(WeightDecay.parse(wdForm))
                .augment(Augment.parse(augment)).noTeacher(noTeacher).alpha(alpha).beta(beta).gamma(gamma)
                .temperature(temperature).target(ApprenticeLoss.Target.parse(target))
                .cacheTeacherLogits(cacheTeacherLogits).seed(seed).out(out).resume(resume)
                .stopAfterEpoch(stopAfterEpoch).uiPort(ui ? uiPort : 0).build();
        if (out != null) {
            return settings;
        }
        Path folder = home.resolve("runs").resolve(String.format("%s-%s-%s-%s", parsed.flag().toLowerCase(),
                settings.student(), settings.precisionLabel().replaceAll("[^A-Za-z0-9.]+", "-"),
                LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))));
        return settings.toBuilder().out(folder).build();
    }
}
