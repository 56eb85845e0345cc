package org.apprentice.train;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apprentice.data.DataSource;
import org.apprentice.eval.Accuracy;
import org.apprentice.kd.ApprenticeLoss;
import org.apprentice.kd.EpochMetrics;
import org.apprentice.kd.ApprenticeTrainer;
import org.apprentice.kd.Heads;
import org.apprentice.kd.Scheme;
import org.apprentice.kd.SparkTraining;
import org.apprentice.kd.TeacherLogitsStore;
import org.apprentice.io.Sha256;
import org.apprentice.runtime.GitInfo;
import org.apprentice.runtime.MachineInfo;
import org.nd4j.linalg.factory.Nd4j;
import org.apprentice.model.ModelFiles;
import org.apprentice.model.ModelSize;
import org.apprentice.model.OutputHead;
import org.apprentice.model.Normalization;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.model.ResNetBuilder;
import org.apprentice.model.ResNetConfig;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * One training run of any scheme: builds or loads the teacher and student, trains for the given
 * epochs printing one line per epoch, evaluates top-1/top-5 on the whole test split, and writes the
 * student (and, in scheme A, the teacher) as DL4J zips with their provenance, the settings and a CSV row
 * per epoch into the run folder ({@link RunFolder}), and an epoch-end checkpoint ({@link Checkpoints}).
 */
public final class TrainingRun {

    /** What a finished (or stopped) run reports; {@code studentZip} is null when it stopped early. */
    public record Result(Accuracy student, Accuracy teacher, File studentZip, List<EpochMetrics> epochs,
                         ModelSize size) {
    }

    /** The networks of a run, how to train them, and the model files they came from. */
    private record Networks(ComputationGraph student, ResNetConfig studentConfig, ComputationGraph teacher,
                            ResNetConfig teacherConfig, ApprenticeTrainer trainer, int epochsDone, Path teacherZip,
                            Path initZip) {

        /** The teacher that is trained with the student and saved with it (scheme A), or null. */
        ComputationGraph trainedTeacher() {
            return trainer.scheme() == Scheme.A ? teacher : null;
        }
    }

    /** Where the epoch loop ended: the epochs it ran and the last test accuracies. */
    private record Trained(List<EpochMetrics> epochs, Accuracy student, Accuracy teacher, boolean stopped) {
    }

    private final RunSettings s;
    private final PrintStream out;
    private final Path home;
    private final RunFolder folder;

    public TrainingRun(RunSettings settings, Path home, PrintStream out) {
        if (settings.execution().out() == null) {
            throw new IllegalArgumentException("a training run needs its folder (--out)");
        }
        this.s = settings;
        this.home = home;
        this.out = out;
        this.folder = new RunFolder(settings.execution().out());
    }

    public Result run() throws IOException {
        try (RunFolder.Lock owned = folder.claim(s.execution().resume())) {
            return runInOwnedFolder();
        }
    }

    private Result runInOwnedFolder() throws IOException {
        if (s.execution().uiPort() > 0) {
            TrainingUi.requireFreePort(s.execution().uiPort());
        }
        if (s.execution().spark() == null) {
            return withData(null);
        }
        try (SparkTraining spark = SparkTraining.start(s.execution().spark())) { // refused here in a build without Spark
            requireSplit("Spark's " + spark.workers() + " workers (--spark " + s.execution().spark() + ")", spark.workers());
            return withData(spark);
        }
    }

    private Result withData(SparkTraining spark) throws IOException {
        try (DataSource data = DataSource.open(s.data().source(), home, s.data().imageSize(), s.data().trainSubset(),
                s.data().subsetSeed(), s.execution().workers(), s.execution().skipBadImages(), s.data().classes())) {
            // the largest minibatch a run makes: its test passes run at max(--batch, 64)
            data.requireMinibatchFits(Math.max(s.optimisation().batch(), 64), "--image-size " + s.data().imageSize());
            adoptNormalization(data);
            return train(data, spark);
        }
    }

    /**
     * The inputs normalised as the model files the run starts from were trained (their recorded normalization, where
     * they record one): a model started from weights keeps seeing what it learned from. Files that record different
     * normalizations are refused in one line.
     */
    private void adoptNormalization(DataSource data) {
        Path recordedBy = null;
        Normalization recorded = null;
        for (Path file : java.util.Arrays.asList(s.student().init(), s.scheme().hasFrozenTeacher()
                ? s.distillation().teacherModel() : null)) {
            if (file != null && !Files.isRegularFile(file)) {
                throw new IllegalArgumentException(file + " does not exist: the run starts from it, and sees its inputs "
                        + "normalised as it was trained");
            }
            Normalization n = file == null ? null : ModelFiles.recordedNormalization(file.toFile());
            if (n != null && recorded != null && !n.equals(recorded)) {
                throw new IllegalArgumentException(recordedBy + " was trained on inputs normalised with " + recorded
                        + ", " + file + " with " + n + ": the teacher and the student see the same inputs");
            }
            if (n != null) {
                recorded = n;
                recordedBy = file;
            }
        }
        if (recorded != null && !recorded.equals(data.normalization())) {
            out.printf("inputs normalised as %s was trained: %s (the data's own: %s)%n", recordedBy, recorded,
                    data.normalization());
            data.renormalize(recorded, "model " + recordedBy);
        }
    }

    /** Trains in this JVM (with --replicas), or through {@code spark} when not null. */
    private Result train(DataSource data, SparkTraining spark) throws IOException {
        String dataFingerprint = data.fingerprint();
        ISchedule learningRate = s.optimisation().schedule().of(s.optimisation().learningRate(), s.optimisation().epochs(),
                stepsPerEpoch(data));
        Networks nets = networks(data, learningRate);
        begin(nets, data);
        int parts = s.execution().replicas();
        if (spark != null) {
            out.printf("training through Spark at %s: %d workers, %d images each per step of %d%n", s.execution().spark(),
                    spark.workers(), s.optimisation().batch() / spark.workers(), s.optimisation().batch());
            nets.trainer().spark(spark);
            parts = spark.workers();
        }
        Trained trained = trainEpochs(nets, data, learningRate, parts);
        if (trained.stopped()) {
            return new Result(trained.student(), trained.teacher(), null, trained.epochs(), ModelSize.of(nets.student()));
        }
        File studentZip = finish(nets, data, dataFingerprint, trained);
        return new Result(trained.student(), trained.teacher(), studentZip, trained.epochs(), ModelSize.of(nets.student()));
    }

    // ---- setting up, per scheme

    private Networks networks(DataSource data, ISchedule learningRate) throws IOException {
        ResNetConfig studentConfig = ResNetConfig.of(s.student().name(), data.classes(), data.shape())
                .withWidthMultiplier(s.student().width()).withPrecision(s.student().precision()).withSeed(s.optimisation().seed())
                .withUpdater(new Nesterovs(learningRate, 0.9), s.optimisation().weightDecay()).withWeightDecay(s.optimisation().weightDecayForm());
        Checkpoints.Restored restored = s.execution().resume() ? Checkpoints.load(s.execution().out(), s, s.scheme() == Scheme.A) : null;
        Given given = given(data, studentConfig, restored != null);
        int done = restored == null ? 0 : restored.epoch();
        if (s.scheme() == Scheme.NONE) {
            ComputationGraph student = restored != null ? restored.student() : given.init() == null
                    ? ResNetBuilder.build(studentConfig) : transferred(given.init(), studentConfig, data);
            if (restored == null && s.optimisation().freezeEpochs() > 0) {
                freezeBackbone(student, learningRate);
            }
            return new Networks(student, studentConfig, null, null, ApprenticeTrainer.withoutTeacher(student), done,
                    null, s.student().init());
        }
        if (s.scheme() == Scheme.C_CONTROL) {
            return loweredWithoutTeacher(data, given, studentConfig, restored);
        }
        ResNetConfig teacherConfig = ResNetConfig.of(s.distillation().teacherName(), data.classes(), data.shape())
                .withWidthMultiplier(s.distillation().teacherWidth()).withSeed(s.optimisation().seed() + 1)
                .withUpdater(new Nesterovs(learningRate, 0.9), s.optimisation().weightDecay()).withWeightDecay(s.optimisation().weightDecayForm());
        ApprenticeLoss loss = new ApprenticeLoss(s.distillation().beta(), s.distillation().gamma(), s.distillation().temperature(), s.distillation().target());
        if (s.scheme() == Scheme.A) {
            ComputationGraph teacher = restored != null ? restored.teacher()
                    : ResNetBuilder.build(teacherConfig, Heads.teacher(s.distillation().alpha(), data.classes()));
            ComputationGraph student = restored != null ? restored.student()
                    : ResNetBuilder.build(studentConfig, Heads.apprentice(loss));
            return new Networks(student, studentConfig, teacher, teacherConfig,
                    ApprenticeTrainer.jointly(teacher, student), done, null, null);
        }
        return fromTrainedTeacher(data, given, studentConfig, teacherConfig, loss, restored);
    }

    /**
     * The model files the user gave, loaded and checked against the data (null where none was given or needed), and
     * whether the teacher's or the starting point's file was trained on other classes (then it is fine-tuned on the
     * data first).
     */
    private record Given(ComputationGraph teacher, ComputationGraph init, boolean teacherForOtherClasses,
                         boolean initForOtherClasses) {
    }

    /**
     * Loads and checks every model file the run was given ({@code --teacher-model}, {@code --student-init}) before
     * anything trains: a file that is not a model, or one made for other classes, input or architecture, is refused in
     * one line first, not after a teacher or starting point has been trained for it. A resumed run needs no starting
     * point.
     */
    private Given given(DataSource data, ResNetConfig studentConfig, boolean resumed) {
        ComputationGraph teacher = null;
        boolean teacherForOtherClasses = false;
        Path teacherFile = s.distillation().teacherModel();
        if (teacherFile != null && s.scheme().hasFrozenTeacher()) {
            requireArchitecture(teacherFile, s.distillation().teacherName(), s.distillation().teacherWidth(), "--teacher-model", "--teacher");
            ComputationGraph loaded = ModelFiles.load(teacherFile.toFile(), "teacher model");
            teacherForOtherClasses = !ModelFiles.hasClasses(loaded, teacherFile.toFile(), data.classNames());
            if (!teacherForOtherClasses) {
                teacher = ModelFiles.requireTeacher(loaded, teacherFile.toFile(), studentConfig, data.classNames(),
                        data.normalization());
            }
        }
        ComputationGraph init = null;
        boolean initForOtherClasses = false;
        Path initFile = s.student().init();
        if (initFile != null && s.scheme() == Scheme.NONE) {
            requireArchitecture(initFile, s.student().name(), s.student().width(), "--init", "--student");
            init = resumed ? null : ModelFiles.load(initFile.toFile(), "--init model");
        } else if (initFile != null && resumed) {
            // a resumed run no longer needs its starting point, only to know whether it was fine-tuned first
            initForOtherClasses = Files.isRegularFile(fineTunedFolder("student", s.student().name()).resolve("student.zip"));
        } else if (initFile != null) {
            requireArchitecture(initFile, s.student().name(), s.student().width(), "--student-init", "--student");
            ComputationGraph loaded = ModelFiles.load(initFile.toFile(), "full-precision student model");
            initForOtherClasses = !ModelFiles.hasClasses(loaded, initFile.toFile(), data.classNames());
            if (!initForOtherClasses) {
                ModelFiles.requireStartingPoint(loaded, initFile.toFile(), studentConfig, data.classNames(),
                        data.normalization());
                init = loaded;
            }
        }
        return new Given(teacher, init, teacherForOtherClasses, initForOtherClasses);
    }

    /** A full-precision student started from the weights of {@code --init} (transfer learning), saying how. */
    private ComputationGraph transferred(ComputationGraph init, ResNetConfig studentConfig, DataSource data) {
        ModelFiles.Transfer transfer = ModelFiles.transfer(init, s.student().init().toFile(), studentConfig,
                data.classNames());
        out.println(transfer.note());
        return transfer.student();
    }

    /**
     * A teacher or starting point given as a file trained on other classes, fine-tuned on the data first (transfer
     * learning, scheme none at full precision, the pretraining epochs, the fine-tuning learning rate) in a run folder
     * of its own, which a stopped run continues; returns the fine-tuned model's zip.
     */
    private Path fineTunedFirst(Path file, String model, double width, String role) throws IOException {
        Path folder = fineTunedFolder(role, model);
        RunSettings first = s.toBuilder().scheme(Scheme.NONE).student(model).studentWidth(width)
                .precision(PrecisionSpec.fullPrecision()).teacherModel(null).studentInit(file)
                .epochs(s.epochsOfPretraining()).pretrainEpochs(0).learningRate(RunSettings.FINE_TUNING_LEARNING_RATE)
                .freezeEpochs(0).cacheTeacherLogits(false).out(folder).spark(null)
                .resume(Files.isRegularFile(folder.resolve(Checkpoints.LATEST))).stopAfterEpoch(0).uiPort(0).build();
        Path zip = folder.resolve("student.zip");
        out.printf("%s: %s was trained on other classes; %s on the data first in %s (scheme none, full precision, "
                + "%d epochs (--pretrain-epochs), lr %s, %s schedule)%n", role, file, Files.isRegularFile(zip)
                ? "fine-tuned" : "fine-tuning it", folder, first.optimisation().epochs(),
                first.optimisation().learningRate(), first.optimisation().schedule().flag());
        if (!Files.isRegularFile(zip)) {
            new TrainingRun(first, home, out).run();
        }
        return zip;
    }

    /** Where a teacher's or starting point's file of other classes is fine-tuned first. */
    private Path fineTunedFolder(String role, String model) {
        return s.execution().out().resolve(role + "-" + model + "-fine-tuned");
    }

    /** Scheme C's full-precision starting point, checked for architecture, classes and input. */
    private ComputationGraph startingPoint(Path zip, DataSource data, ResNetConfig studentConfig) {
        requireArchitecture(zip, s.student().name(), s.student().width(), "--student-init", "--student");
        ComputationGraph init = ModelFiles.load(zip.toFile(), "full-precision student model");
        ModelFiles.requireStartingPoint(init, zip.toFile(), studentConfig, data.classNames(), data.normalization());
        return init;
    }

    /** Scheme C's control: the trained full-precision student lowered, then fine-tuned on the labels alone. */
    private Networks loweredWithoutTeacher(DataSource data, Given given, ResNetConfig studentConfig,
                                           Checkpoints.Restored restored) throws IOException {
        Path initZip = initZip(data, given, restored);
        ComputationGraph student = restored != null ? restored.student()
                : lowered(given, initZip, data, studentConfig, OutputHead.softmaxCrossEntropy());
        return new Networks(student, studentConfig, null, null, ApprenticeTrainer.withoutTeacher(student),
                restored == null ? 0 : restored.epoch(), null, initZip);
    }

    /** Schemes B and C: a trained teacher, frozen; C also starts from a trained full-precision student. */
    private Networks fromTrainedTeacher(DataSource data, Given given, ResNetConfig studentConfig,
                                        ResNetConfig teacherConfig, ApprenticeLoss loss, Checkpoints.Restored restored)
            throws IOException {
        Path teacherFile = s.distillation().teacherModel();
        Path teacherZip = teacherFile == null
                ? storedOrTrained(data, s.distillation().teacherName(), s.distillation().teacherWidth(), "teacher")
                : given.teacherForOtherClasses() ? fineTunedFirst(teacherFile, s.distillation().teacherName(),
                s.distillation().teacherWidth(), "teacher") : teacherFile;
        ComputationGraph teacher = given.teacher();
        if (teacher == null) {
            requireArchitecture(teacherZip, s.distillation().teacherName(), s.distillation().teacherWidth(), "--teacher-model", "--teacher");
            teacher = ModelFiles.loadTeacher(teacherZip.toFile(), studentConfig, data.classNames(),
                    data.normalization());
        }
        Path initZip = s.scheme().lowersTrainedModel() ? initZip(data, given, restored) : null;
        ComputationGraph student;
        if (restored != null) {
            student = restored.student();
        } else if (s.scheme() == Scheme.B) {
            student = ResNetBuilder.build(studentConfig, Heads.apprentice(loss));
        } else {
            student = lowered(given, initZip, data, studentConfig, Heads.apprentice(loss));
        }
        boolean cached = s.execution().cacheTeacherLogits() && cacheTeacherLogits(data, teacher);
        ApprenticeTrainer trainer = cached ? ApprenticeTrainer.fromCachedTeacherLogits(s.scheme(), student)
                : s.execution().teacherLogitsStore() != null
                ? ApprenticeTrainer.fromStoredTeacherLogits(s.scheme(), teacher, student, logitsStore(data, teacherZip, teacher))
                : ApprenticeTrainer.fromTrainedTeacher(s.scheme(), teacher, student);
        return new Networks(student, studentConfig, teacher, teacherConfig, trainer,
                restored == null ? 0 : restored.epoch(), teacherZip, initZip);
    }

    /**
     * Scheme C's starting point: the given one, else the model store's (a resumed run no longer needs it, only its
     * name for the provenance), else one trained first.
     */
    private Path initZip(DataSource data, Given given, Checkpoints.Restored restored) throws IOException {
        if (s.student().init() != null) {
            return given.initForOtherClasses() ? fineTunedFirst(s.student().init(), s.student().name(),
                    s.student().width(), "student") : s.student().init();
        }
        return restored != null ? stored(data, s.student().name(), s.student().width())
                : storedOrTrained(data, s.student().name(), s.student().width(), "full-precision student");
    }

    /** The starting point (given, else read from {@code initZip}) lowered to the student's precision. */
    private ComputationGraph lowered(Given given, Path initZip, DataSource data, ResNetConfig studentConfig,
                                     OutputHead head) {
        ComputationGraph init = given.init() != null ? given.init() : startingPoint(initZip, data, studentConfig);
        return ModelFiles.lowerPrecision(init, initZip.toFile(), studentConfig, head);
    }

    /** Refuses a model file whose recorded architecture is not the one the run names (zips that record none pass). */
    private static void requireArchitecture(Path zip, String name, double width, String fileFlag, String nameFlag) {
        if (!Files.isRegularFile(zip)) {
            return; // loading names a missing file or a folder
        }
        ModelFiles.Architecture recorded = ModelFiles.recordedArchitecture(zip.toFile());
        if (recorded != null && !recorded.equals(new ModelFiles.Architecture(name, width))) {
            throw new IllegalArgumentException(fileFlag + " " + zip + " is a " + recorded + ", but the run's "
                    + nameFlag + " is " + new ModelFiles.Architecture(name, width) + ": give " + nameFlag + " "
                    + recorded.name() + (recorded.width() == 1.0 ? "" : " " + nameFlag + "-width " + recorded.width())
                    + " or another file");
        }
    }

    /**
     * Where this run keeps, and finds, its frozen teacher's logits: the store's folder for this teacher, data stream,
     * code, machine and threads ({@code --teacher-logits-store}).
     */
    private TeacherLogitsStore logitsStore(DataSource data, Path teacherZip, ComputationGraph teacher) throws IOException {
        TeacherLogitsStore store = TeacherLogitsStore.open(s.execution().teacherLogitsStore(), new TeacherLogitsStore.Key(
                Sha256.of(teacherZip), data.fingerprint(), s.optimisation().seed(), s.optimisation().batch(),
                s.data().augment().name(), s.data().imageSize(), teacher.getConfiguration().getDataType().name(),
                GitInfo.describe(home), MachineInfo.describe(), Nd4j.getEnvironment().maxThreads()));
        out.printf("the teacher's logits are kept in %s, and read there for the minibatches an earlier run kept "
                + "(--teacher-logits-store)%n", store.folder());
        return store;
    }

    /** Attaches the teacher's logits to the in-memory training split's labels; false for image folders (streamed). */
    private boolean cacheTeacherLogits(DataSource data, ComputationGraph teacher) {
        if (data.trainSet() == null) {
            out.println("--cache-teacher-logits ignored: image folders are streamed from their files, not held in "
                    + "memory, so the teacher runs on every minibatch");
            return false;
        }
        long start = System.nanoTime();
        data.replaceTrainSet(ApprenticeTrainer.withTeacherLogits(data.trainSet(), teacher, s.optimisation().batch(), data::toInput));
        out.printf("teacher logits computed once for %d training images in %.1f s (--cache-teacher-logits)%n",
                data.trainExamples(), (System.nanoTime() - start) / 1e9);
        return true;
    }

    /** Publishes a full-precision model to the store, if it learned something: clearly above chance on the test split. */
    private void publish(File studentZip, Accuracy accuracy, DataSource data) throws IOException {
        int classes = data.classes();
        if (!ModelStore.aboveChance(accuracy, classes)) {
            out.printf("not published to the model store: test top-1 %.2f%% is not clearly above chance (%.2f%% for "
                    + "%d classes)%n", 100 * accuracy.top1(), 100.0 / classes, classes);
            return;
        }
        Path stored = new ModelStore(home).publish(studentZip, data.key(s.data().subsetSeed()), s.data().label(),
                s.student().name(), s.student().width());
        out.printf("published to the model store as %s%n", stored);
    }

    /**
     * A trained full-precision model for schemes B and C when the user gave none: from the model store
     * (same data and subset, architecture, width), else trained first with the same data and optimiser
     * settings, saying so in one line, and published to the store.
     */
    private Path storedOrTrained(DataSource data, String model, double width, String role) throws IOException {
        Path found = stored(data, model, width);
        String key = s.data().label();
        if (found != null) {
            out.printf("%s: %s x%s from the model store (%s)%n", role, model, width, found);
            return found;
        }
        Path folder = s.execution().out().resolve(model + "-fp32");
        // trained from scratch as a full-precision model is: its own epochs and the from-scratch learning rate
        RunSettings first = s.toBuilder().scheme(Scheme.NONE).student(model).studentWidth(width)
                .precision(PrecisionSpec.fullPrecision()).teacherModel(null).studentInit(null)
                .epochs(s.epochsOfPretraining()).pretrainEpochs(0)
                .learningRate(RunSettings.FROM_SCRATCH_LEARNING_RATE).freezeEpochs(0).cacheTeacherLogits(false).out(folder)
                .spark(null) // in this JVM: one Spark context per process, and it is this run's
                .resume(Files.isRegularFile(folder.resolve(Checkpoints.LATEST))).stopAfterEpoch(0).uiPort(0).build();
        out.printf("%s: no %s x%s for %s in the model store; training it first in %s (scheme none, full precision, "
                + "%d epochs (--pretrain-epochs), lr %s, %s schedule)%n", role, model, width, key, folder,
                first.optimisation().epochs(), first.optimisation().learningRate(), first.optimisation().schedule().flag());
        if (!Files.isRegularFile(folder.resolve("student.zip"))) {
            new TrainingRun(first, home, out).run();
        }
        Path trained = stored(data, model, width);
        if (trained == null) {
            throw new IllegalStateException("the " + role + " trained in " + folder + " was not published to the model "
                    + "store (see above): train a better one and pass it with --" + (role.equals("teacher")
                    ? "teacher-model" : "student-init"));
        }
        return trained;
    }

    /** The model store's full-precision {@code model} for this run's data, or null. */
    private Path stored(DataSource data, String model, double width) throws IOException {
        File found = new ModelStore(home).find(data.key(s.data().subsetSeed()), model, width);
        return found == null ? null : found.toPath();
    }

    // ---- the run folder and the epoch loop

    /** Writes the settings, prints what runs, and starts (or, resuming, trims) the metrics file. */
    private void begin(Networks nets, DataSource data) throws IOException {
        Files.createDirectories(s.execution().out());
        requireSpace(nets);
        folder.writeSettings(s);
        out.printf("scheme %s (%s): student %s %s%s, %s; %s: %d training images, %d test images%n",
                s.scheme().flag(), s.description(), s.student().name(), s.precisionLabel(),
                s.usesTeacher() ? ", teacher " + s.distillation().teacherName() : "",
                ModelSize.megabytes(ModelSize.of(nets.student()).lowPrecisionBytes()), data.description(),
                data.trainExamples(), data.testExamples());
        if (s.execution().replicas() > 1) {
            out.printf("%d data-parallel replicas of the student, %d images each per step of %d, parameters and "
                    + "momenta averaged after every step%n", s.execution().replicas(), s.optimisation().batch() / s.execution().replicas(), s.optimisation().batch());
        }
        if (s.execution().uiPort() > 0) {
            TrainingUi.attach(s.execution().uiPort(), nets.student(), out);
        }
        if (nets.epochsDone() > 0) {
            out.printf("resuming %s after epoch %d%n", s.execution().out(), nets.epochsDone());
            folder.keepEpochsUpTo(nets.epochsDone());
        } else {
            folder.startMetrics();
        }
    }

    /**
     * Refuses to start when the run folder's disk cannot hold what the run writes: each model saved with its
     * updater state (about 3x its parameters: weights and Nesterov's momentum, and the zip's copy) in a
     * checkpoint and the final model, twice over while a new checkpoint replaces the old one.
     */
    private void requireSpace(Networks nets) throws IOException {
        long params = nets.student().params().length() + (nets.trainedTeacher() == null ? 0
                : nets.trainedTeacher().params().length());
        requireSpace(s.execution().out(), 4 * params * 3 * 3, Files.getFileStore(s.execution().out()).getUsableSpace());
    }

    static void requireSpace(Path out, long needed, long free) {
        if (free < needed) {
            throw new IllegalStateException(String.format(java.util.Locale.ROOT, "--out %s: only %.1f MB free on its "
                    + "disk, the run needs about %.1f MB for its checkpoints and models; free some space or give "
                    + "another --out", out, free / 1e6, needed / 1e6));
        }
    }

    private void requireSplit(String what, int parts) {
        if (s.optimisation().batch() % parts != 0) {
            throw new IllegalArgumentException("--batch " + s.optimisation().batch() + " does not split evenly between " + what
                    + ": give a multiple of " + parts);
        }
    }

    /** The optimizer steps of one epoch: one per minibatch of --batch, the last one possibly smaller. */
    private long stepsPerEpoch(DataSource data) {
        return (data.trainExamples() + s.optimisation().batch() - 1) / s.optimisation().batch();
    }

    /** The epochs from the last checkpoint on; each minibatch of --batch comes as {@code parts} equal shares. */
    private Trained trainEpochs(Networks nets, DataSource data, ISchedule learningRate, int parts) throws IOException {
        List<EpochMetrics> epochs = new ArrayList<>();
        Accuracy student = nets.epochsDone() >= s.optimisation().epochs() ? testAccuracy(nets.student(), data) : null;
        Accuracy teacher = null;
        for (int epoch = nets.epochsDone() + 1; epoch <= s.optimisation().epochs(); epoch++) {
            double lr = learningRate.valueAt((int) ((epoch - 1) * stepsPerEpoch(data)), epoch - 1); // at its first step
            EpochMetrics m;
            try (EpochProgress progress = new EpochProgress("epoch " + epoch + "/" + s.optimisation().epochs(), data.trainExamples(),
                    out, EpochProgress.isTerminal())) {
                m = nets.trainer().replicas(s.execution().replicas())
                        .trainEpoch(epoch, data.train(epoch, s.optimisation().batch() / parts, s.optimisation().seed(), s.data().augment()), progress);
            }
            epochs.add(m);
            requireFinite(epoch, m, nets);
            boolean evaluated = s.execution().evaluates(epoch, s.optimisation().epochs());
            student = evaluated ? testAccuracy(nets.student(), data) : null;
            teacher = !evaluated || nets.trainedTeacher() == null ? null : testAccuracy(nets.trainedTeacher(), data);
            printEpoch(epoch, lr, m, student, teacher);
            folder.appendEpoch(EpochRecord.of(m, lr, student, teacher));
            if (evaluated) { // the curves follow the test evaluations (--eval-every), not every epoch
                Curves.plot(s.execution().out(), folder.readEpochs());
            }
            Checkpoints.save(s.execution().out(), epoch, s, nets.student(), nets.studentConfig(), nets.trainedTeacher(),
                    nets.teacherConfig());
            if (epoch == s.execution().stopAfterEpoch() && epoch < s.optimisation().epochs()) {
                out.printf("stopped after epoch %d as asked; continue with the same command and --resume%n", epoch);
                return new Trained(epochs, student, teacher, true);
            }
        }
        return new Trained(epochs, student, teacher, false);
    }

    /**
     * In the first {@code --freeze-epochs} epochs only the classifier learns: every other layer's learning rate is 0
     * in those epochs (and with it the weight decay, which acts through the learning rate), then the run's schedule.
     * Set in the layers' configuration before the first step, so that it is saved with every checkpoint and a resumed
     * run is where an uninterrupted one would be.
     */
    private void freezeBackbone(ComputationGraph student, ISchedule learningRate) {
        int frozen = s.optimisation().freezeEpochs();
        java.util.Map<Integer, Double> rates = new java.util.LinkedHashMap<>();
        for (int e = 0; e < s.optimisation().epochs(); e++) {
            rates.put(e, e < frozen ? 0.0 : learningRate.valueAt(0, e));
        }
        ISchedule backbone = new org.nd4j.linalg.schedule.MapSchedule(org.nd4j.linalg.schedule.ScheduleType.EPOCH, rates);
        for (org.deeplearning4j.nn.api.Layer layer : student.getLayers()) {
            if (!layer.conf().getLayer().getLayerName().equals(ResNetBuilder.LOGITS)
                    && layer.conf().getLayer() instanceof org.deeplearning4j.nn.conf.layers.BaseLayer base) {
                base.setIUpdater(new Nesterovs(backbone, 0.9));
            }
        }
        out.printf("epochs 1-%d: only the classifier learns (--freeze-epochs)%n", frozen);
    }

    /** Stops a diverged run (NaN or infinite loss or weights) with one line, before it is evaluated or saved. */
    private void requireFinite(int epoch, EpochMetrics m, Networks nets) {
        boolean finiteWeights = Double.isFinite(nets.student().params().sumNumber().doubleValue())
                && (nets.trainedTeacher() == null || Double.isFinite(nets.trainedTeacher().params().sumNumber().doubleValue()));
        if (!Double.isFinite(m.loss()) || !finiteWeights) {
            throw new IllegalStateException(String.format("training diverged in epoch %d (%s): the model is not saved; "
                    + "try a lower --lr than %s", epoch, Double.isFinite(m.loss()) ? "weights not finite"
                    : "loss " + m.loss(), s.optimisation().learningRate()));
        }
    }

    private Accuracy testAccuracy(ComputationGraph net, DataSource data) {
        return Accuracy.of(net, data.test(Math.max(s.optimisation().batch(), 64)), data.classes());
    }

    private void printEpoch(int epoch, double lr, EpochMetrics m, Accuracy student, Accuracy teacher) {
        out.printf("epoch %d/%d  lr %.4g  loss %.4f%s%s%s  %s%s  %.1f s (%.0f img/s)%n",
                epoch, s.optimisation().epochs(), lr, m.loss(),
                Double.isNaN(m.studentCrossEntropy()) ? "" : String.format("  student CE %.4f", m.studentCrossEntropy()),
                Double.isNaN(m.distillation()) ? "" : String.format("  distillation %.4f", m.distillation()),
                Double.isNaN(m.teacherCrossEntropy()) ? "" : String.format("  teacher CE %.4f", m.teacherCrossEntropy()),
                student == null ? "(test split every " + s.execution().evalEvery() + " epochs)"
                        : String.format("test top-1 %.2f%% top-5 %.2f%%", 100 * student.top1(), 100 * student.top5()),
                teacher == null ? "" : String.format("  (teacher %.2f%%)", 100 * teacher.top1()),
                m.seconds(), m.imagesPerSecond());
    }

    // ---- finishing

    /** Saves the student (and scheme A's teacher) with provenance; publishes a full-precision model to the store. */
    private File finish(Networks nets, DataSource data, String dataFingerprint, Trained trained) throws IOException {
        File studentZip = s.execution().out().resolve("student.zip").toFile();
        ModelFiles.save(nets.student(), nets.studentConfig(), data.classNames(), data.normalization(), studentZip);
        folder.writeProvenance(Provenance.of(studentZip.getName(), s, s.optimisation().epochs(), dataFingerprint, nets.teacherZip(),
                nets.initZip(), home));
        if (nets.trainedTeacher() != null) {
            File teacherZip = s.execution().out().resolve("teacher.zip").toFile();
            ModelFiles.save(nets.teacher(), nets.teacherConfig(), data.classNames(), data.normalization(), teacherZip);
            folder.writeProvenance(Provenance.of(teacherZip.getName(), s, s.optimisation().epochs(), dataFingerprint, null, null, home));
        }
        out.printf("student: %s -> %s%n", trained.student(), studentZip);
        if (s.scheme() == Scheme.NONE && s.student().precision().isFullPrecision()) {
            publish(studentZip, trained.student(), data);
        }
        if (data.skippedImages() > 0) {
            out.printf("%d bad image files were skipped (--skip-bad-images); see the warnings above%n", data.skippedImages());
        }
        return studentZip;
    }
}
