package org.apprentice.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.apprentice.data.Augment;
import org.apprentice.data.ClassSubset;
import org.apprentice.data.DataSpec;
import org.apprentice.kd.ApprenticeLoss.Target;
import org.apprentice.kd.ApprenticeLoss;
import org.apprentice.kd.Scheme;
import org.apprentice.model.LayerPrecision;
import org.apprentice.model.ModelFiles;
import org.apprentice.model.ModelRegistry;
import org.apprentice.model.PrecisionFlags;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.model.ResNetArchitecture;
import org.apprentice.model.StemShape;
import org.apprentice.model.WeightDecay;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Everything that fixes one training run, typed, valid by construction, composed of one record per concern: what
 * the run trains ({@link Scheme}), the student and its precision, the teacher and its loss, the data, the
 * optimisation, and the execution; the run's identity ({@link #identity()}) is everything but the execution. Built
 * with {@link #builder()}, whose fields hold every default; flags, recipes, study steps, the main job and the demo all
 * make the same typed changes to it ({@link SettingKeys}). The constructor refuses out-of-range values and
 * combinations a scheme cannot use, in one line that names the flag; settings a scheme ignores (the teacher of
 * scheme none, α outside scheme A, ...) are reset to their defaults, so that the record says only what the run used.
 * Written and read by {@link RunFolder} through {@link RunJson}, which upgrades files of earlier formats.
 */
public record RunSettings(Scheme scheme, StudentSettings student, Distillation distillation, DataSettings data,
                          Optimisation optimisation, Execution execution) {
    /**
     * The format of the settings' JSON: 1 (no number in the file) held every setting at the top level and scheme C's
     * control as {@code "noTeacher": true}; 2 holds one object per component and the control as its own scheme; 3
     * adds the epochs that train only the classifier ({@code optimisation.freezeEpochs}) and the classes kept
     * ({@code data.classes}); 4 the seed of the training subset apart from the run's ({@code data.subsetSeed}) and how
     * often the test split is evaluated ({@code execution.evalEvery}).
     */
    public static final int FORMAT = 4;

    public RunSettings {
        Objects.requireNonNull(scheme, "scheme");
        Objects.requireNonNull(student, "student");
        Objects.requireNonNull(distillation, "distillation");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(optimisation, "optimisation");
        Objects.requireNonNull(execution, "execution");
        if (scheme.needsTeacher() && distillation.teacher() == null) {
            throw new IllegalArgumentException("scheme " + scheme.flag() + " needs a teacher (--teacher)");
        }
        if (execution.stopAfterEpoch() > optimisation.epochs()) {
            throw new IllegalArgumentException("--stop-after-epoch " + execution.stopAfterEpoch() + " is past --epochs "
                    + optimisation.epochs());
        }
        if (scheme.needsTeacher() && distillation.beta() + distillation.gamma() == 0) {
            throw new IllegalArgumentException("--beta and --gamma are both 0: scheme " + scheme.flag()
                    + "'s student would learn nothing");
        }
        if (distillation.teacherModel() != null && !scheme.hasFrozenTeacher()) {
            throw new IllegalArgumentException("--teacher-model is for schemes B and C (a trained, frozen teacher); "
                    + "scheme " + scheme.flag() + (scheme == Scheme.A ? " trains its teacher from scratch"
                    : " has no teacher"));
        }
        if (student.init() != null && !scheme.lowersTrainedModel()
                && !(scheme == Scheme.NONE && student.precision().isFullPrecision())) {
            throw new IllegalArgumentException("--init (--student-init) starts a full-precision student of scheme none "
                    + "from a model file, or is the model scheme C lowers; " + (scheme == Scheme.NONE
                    ? "a low-precision student started from a trained model is scheme C's control: --scheme C-control"
                    : "scheme " + scheme.flag() + " trains its student from scratch"));
        }
        if (optimisation.freezeEpochs() > 0 && (scheme != Scheme.NONE || student.init() == null)) {
            throw new IllegalArgumentException("--freeze-epochs trains only the classifier of a full-precision student "
                    + "started from a model file: give --init FILE with scheme none");
        }
        if (optimisation.freezeEpochs() > 0 && (execution.replicas() > 1 || execution.spark() != null)) {
            throw new IllegalArgumentException("--freeze-epochs is not available with --replicas or --spark");
        }
        requireParallel(scheme, optimisation.batch(), execution.replicas(), execution.spark());
        if (optimisation.schedule().bySteps() && (execution.replicas() > 1 || execution.spark() != null
                || optimisation.freezeEpochs() > 0)) {
            throw new IllegalArgumentException("--schedule " + optimisation.schedule().flag() + " counts the steps of "
                    + "one network trained in this JVM: not available with --replicas, --spark or --freeze-epochs; use "
                    + "--schedule cosine");
        }
        if (execution.teacherLogitsStore() != null && (execution.replicas() > 1 || execution.spark() != null)) {
            throw new IllegalArgumentException("--teacher-logits-store keeps the minibatches of one network trained in "
                    + "this JVM: not available with --replicas or --spark");
        }
        if (execution.cacheTeacherLogits() && data.augment() != Augment.NONE && data.source().inMemory()
                && scheme.hasFrozenTeacher()) {
            throw new IllegalArgumentException("--cache-teacher-logits needs --augment none: with augmentation the "
                    + "frozen teacher must see each minibatch as the student sees it, and the images differ every epoch");
        }
    }

    /** The format this record is written in (read by {@link RunJson}, which upgrades earlier ones). */
    @JsonProperty("format")
    public int format() {
        return FORMAT;
    }

    /** Replicas share the batch evenly; neither they nor Spark can train scheme A's teacher with its student. */
    private static void requireParallel(Scheme scheme, int batch, int replicas, String spark) {
        if (batch % replicas != 0) {
            throw new IllegalArgumentException("--batch " + batch + " does not split into --replicas " + replicas
                    + " equal minibatches: give a batch that is a multiple of " + replicas);
        }
        if (replicas > 1 && scheme == Scheme.A) {
            throw new IllegalArgumentException("--replicas " + replicas + " is not available for scheme A: its "
                    + "teacher trains with the student on each minibatch; use scheme B or C, or --replicas 1");
        }
        if (spark != null && (spark.isBlank() || replicas > 1 || scheme == Scheme.A)) {
            throw new IllegalArgumentException("--spark '" + spark + "': " + (spark.isBlank() ? "give a master, "
                    + "e.g. local[2] or spark://host:7077" : replicas > 1 ? "Spark's workers are the replicas; "
                    + "leave out --replicas" : "not available for scheme A: its teacher trains with the student on "
                    + "each minibatch; use scheme B or C"));
        }
    }

    /** The weight bits of a student when {@code --bits} is not given: full precision without a teacher, else ternary. */
    public static int defaultWeightBits(Scheme scheme) {
        return scheme == Scheme.NONE ? LayerPrecision.FULL : 2;
    }

    /** The learning rate of training from scratch when {@code --lr} is not given. */
    public static final double FROM_SCRATCH_LEARNING_RATE = 0.1;
    /** The learning rate of fine-tuning a trained model when {@code --lr} is not given. */
    public static final double FINE_TUNING_LEARNING_RATE = 0.01;

    /**
     * The learning rate when {@code --lr} is not given: 0.1 from scratch; 0.01 where a trained model is fine-tuned
     * (scheme C and its control, and a student started from a model file).
     */
    public static double defaultLearningRate(Scheme scheme, boolean startsFromModel) {
        return scheme.lowersTrainedModel() || startsFromModel ? FINE_TUNING_LEARNING_RATE : FROM_SCRATCH_LEARNING_RATE;
    }

    /**
     * The input size when {@code --image-size} is not given: in-memory images at the size they are stored at,
     * raised to the smallest input the networks accept (an ImageNet-shape ResNet downsamples 32x); image folders
     * at the student's design size (224 for the ImageNet shape, 32 for the small-image one).
     */
    public static int defaultImageSize(DataSpec data, ResNetArchitecture student, ResNetArchitecture teacher) {
        StemShape shape = student.shape();
        if (data.storedSize() == 0) {
            return student.defaultImageSize();
        }
        int smallest = Math.max(shape.downsampling(), teacher == null ? 1 : teacher.shape().downsampling());
        return Math.max(data.storedSize(), smallest);
    }

    /** The settings that must not change when a run is resumed: all but the execution, which changes no number. */
    public RunSettings identity() {
        return new RunSettings(scheme, student, distillation, data, optimisation, Execution.DEFAULT);
    }

    /** What the run trains, in words. */
    public String description() {
        return scheme.description();
    }

    /** A teacher guides this run's student (schemes A, B, C; not C's control). */
    public boolean usesTeacher() {
        return scheme.needsTeacher();
    }

    /** The epochs of a full-precision model trained on the fly for this run (teacher, scheme-C starting point). */
    public int epochsOfPretraining() {
        return distillation.pretrainEpochs() > 0 ? distillation.pretrainEpochs() : optimisation.epochs();
    }

    /** The label of the student's precision: "fp32", "w2a4", "w2a4 ttq/pact" (learned quantizers), ... */
    public String precisionLabel() {
        return student.precision().label();
    }

    /** Every setting at its default (scheme none, resnet20, Fashion-MNIST, ...): what the flags start from. */
    public static RunSettings defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these settings, to change some of them. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.scheme = scheme;
        b.student = student.name();
        b.studentWidth = student.width();
        b.precision = student.precision();
        b.studentInit = student.init();
        b.teacher = distillation.teacherName();
        b.teacherWidth = distillation.teacherWidth();
        b.teacherModel = distillation.teacherModel();
        b.pretrainEpochs = distillation.pretrainEpochs();
        b.alpha = distillation.alpha();
        b.beta = distillation.beta();
        b.gamma = distillation.gamma();
        b.temperature = distillation.temperature();
        b.target = distillation.target();
        b.data = data.source();
        b.trainSubset = data.trainSubset();
        b.subsetSeed = data.subsetSeed() == optimisation.seed() ? null : data.subsetSeed(); // follows --seed unless apart
        b.imageSize = data.imageSize();
        b.augment = data.augment();
        b.keepClasses = data.classes();
        b.epochs = optimisation.epochs();
        b.batch = optimisation.batch();
        b.learningRate = optimisation.learningRate();
        b.schedule = optimisation.schedule();
        b.weightDecay = optimisation.weightDecay();
        b.weightDecayForm = optimisation.weightDecayForm();
        b.seed = optimisation.seed();
        b.freezeEpochs = optimisation.freezeEpochs();
        b.out = execution.out();
        b.resume = execution.resume();
        b.stopAfterEpoch = execution.stopAfterEpoch();
        b.ui = execution.uiPort() > 0;
        b.uiPort = execution.uiPort() > 0 ? execution.uiPort() : b.uiPort;
        b.workers = execution.workers();
        b.replicas = execution.replicas();
        b.spark = execution.spark();
        b.skipBadImages = execution.skipBadImages();
        b.cacheTeacherLogits = execution.cacheTeacherLogits();
        b.evalEvery = execution.evalEvery();
        b.teacherLogitsStore = execution.teacherLogitsStore();
        return b;
    }

    /**
     * Every setting with its default, as the flags name them; {@code null} ones are resolved from the others when
     * built. Each setter is one typed change (the flags, recipe keys and study steps reach them through
     * {@link SettingKeys}).
     */
    public static final class Builder {
        private Scheme scheme = Scheme.NONE;
        /** --no-teacher: with scheme C, its control. */
        private boolean noTeacher;
        private String student = "resnet20";
        private double studentWidth = 1.0;
        /** An explicit precision (set by code); null: {@link #precisionFlags} with the scheme's default bits. */
        private PrecisionSpec precision;
        private PrecisionFlags precisionFlags = PrecisionFlags.NONE;
        /** null: the architecture recorded in {@link #teacherModel}, else the student's registry entry's. */
        private String teacher;
        /** null: the width recorded in {@link #teacherModel} (for its architecture), else 1. */
        private Double teacherWidth;
        private Path teacherModel;
        private Path studentInit;
        private DataSpec data = DataSpec.FASHION_MNIST;
        private int trainSubset = 0;
        /** null: the run's {@link #seed}. */
        private Long subsetSeed;
        /** null: {@link #defaultImageSize} of the data and networks. */
        private Integer imageSize;
        private Augment augment = Augment.CROP_FLIP;
        private ClassSubset keepClasses;
        private int epochs = 2;
        private int pretrainEpochs = 0;
        private int batch = 128;
        /** null: {@link #defaultLearningRate} of the scheme. */
        private Double learningRate;
        private Schedule schedule = Schedule.COSINE;
        private double weightDecay = 1e-4;
        private WeightDecay weightDecayForm = WeightDecay.L2;
        private double alpha = 1.0;
        private double beta = ApprenticeLoss.PAPER_BETA;
        private double gamma = ApprenticeLoss.PAPER_GAMMA;
        private double temperature = 1.0;
        private Target target = Target.SOFTMAX;
        private long seed = 42;
        private int freezeEpochs = 0;
        private Path out;
        private boolean resume = false;
        private int stopAfterEpoch = 0;
        private boolean ui;
        private int uiPort = 9000;
        private int workers = Execution.DEFAULT.workers();
        private int replicas = 1;
        private String spark;
        private boolean skipBadImages = false;
        private boolean cacheTeacherLogits = false;
        private Path teacherLogitsStore = null;
        private int evalEvery = 1;

        private Builder() {
        }

        /**
         * The settings, checked; what the scheme ignores is checked for range, then reset to its default
         * (without a teacher: teacher and loss weights; α outside scheme A; the logit cache and pretraining epochs
         * outside B and C).
         */
        public RunSettings build() {
            RunSettings given = make();
            Scheme run = given.scheme();
            Builder used = given.toBuilder();
            Builder defaults = new Builder();
            if (!run.needsTeacher()) {
                used.teacher = null;
                used.teacherWidth = 1.0;
                used.teacherModel = null;
                used.beta = defaults.beta;
                used.gamma = defaults.gamma;
                used.temperature = defaults.temperature;
                used.target = defaults.target;
            }
            if (run != Scheme.A) {
                used.alpha = defaults.alpha;
            }
            if (!run.hasFrozenTeacher()) {
                used.cacheTeacherLogits = false;
            }
            if (!run.hasFrozenTeacher() || used.cacheTeacherLogits) { // with the logits computed once, nothing to keep
                used.teacherLogitsStore = null;
            }
            if (!run.hasFrozenTeacher() && run != Scheme.C_CONTROL) {
                used.pretrainEpochs = defaults.pretrainEpochs;
            }
            return used.make();
        }

        /** The scheme the flags name: scheme C with --no-teacher is C's control. */
        private Scheme scheme() {
            if (noTeacher && scheme != Scheme.C && scheme != Scheme.C_CONTROL) {
                throw new IllegalArgumentException("--no-teacher is scheme C's control (the lowered model fine-tuned "
                        + "without a teacher); scheme " + scheme.flag() + (scheme == Scheme.NONE
                        ? " has no teacher anyway" : " trains with one"));
            }
            if (noTeacher && teacherModel != null) {
                throw new IllegalArgumentException("--teacher-model with --no-teacher: the control has no teacher; "
                        + "leave out one of them");
            }
            return noTeacher ? Scheme.C_CONTROL : scheme;
        }

        private RunSettings make() {
            Scheme run = scheme();
            if (subsetSeed != null && trainSubset == 0) {
                throw new IllegalArgumentException("--subset-seed " + subsetSeed + " draws the training subset, and "
                        + "there is none: give --train-subset N too");
            }
            ResNetArchitecture studentArchitecture = ModelRegistry.get(student);
            PrecisionSpec p = precision != null ? precision : precisionFlags.spec(defaultWeightBits(run));
            ModelFiles.Architecture recorded = teacherModel != null && Files.isRegularFile(teacherModel)
                    ? ModelFiles.recordedArchitecture(teacherModel.toFile()) : null;
            String t = teacher != null ? teacher : recorded != null ? recorded.name()
                    : run.needsTeacher() ? studentArchitecture.defaultTeacher() : null;
            double tw = teacherWidth != null ? teacherWidth
                    : recorded != null && recorded.name().equals(t) ? recorded.width() : 1.0;
            ResNetArchitecture teacherArchitecture = t == null ? null : ModelRegistry.get(t);
            double lr = learningRate != null ? learningRate : defaultLearningRate(run, studentInit != null);
            int size = imageSize != null ? imageSize : defaultImageSize(data, studentArchitecture,
                    run.needsTeacher() ? teacherArchitecture : null);
            return new RunSettings(run, new StudentSettings(studentArchitecture, studentWidth, p, studentInit),
                    new Distillation(teacherArchitecture, tw, teacherModel, pretrainEpochs, alpha, beta, gamma,
                            temperature, target),
                    new DataSettings(data, trainSubset, subsetSeed != null ? subsetSeed : seed, size, augment, keepClasses),
                    new Optimisation(epochs, batch, lr, schedule, weightDecay, weightDecayForm, seed, freezeEpochs),
                    new Execution(out, resume, stopAfterEpoch, ui ? uiPort : 0, workers, replicas, spark,
                            skipBadImages, cacheTeacherLogits, evalEvery, teacherLogitsStore));
        }

        /** none, A, B, C or C's control. */
        public Builder scheme(Scheme v) {
            scheme = Objects.requireNonNull(v);
            return this;
        }

        /** --no-teacher: scheme C's control (with scheme C). */
        public Builder noTeacher(boolean v) {
            noTeacher = v;
            return this;
        }

        /** A registry name (any case). */
        public Builder student(String v) {
            student = v;
            return this;
        }

        public Builder studentWidth(double v) {
            studentWidth = v;
            return this;
        }

        /** An explicit precision; null: the precision flags with the scheme's default bits. */
        public Builder precision(PrecisionSpec v) {
            precision = v;
            return this;
        }

        /** --bits, --act-bits, --weight-scaling, ...: a change to the precision flags (and the end of an explicit one). */
        public Builder precisionFlags(java.util.function.UnaryOperator<PrecisionFlags> change) {
            precisionFlags = change.apply(precisionFlags);
            precision = null;
            return this;
        }

        /** A registry name; null: the one recorded in the teacher model, else the student's default teacher. */
        public Builder teacher(String v) {
            teacher = v;
            return this;
        }

        /** null: the width recorded in the teacher model, else 1. */
        public Builder teacherWidth(Double v) {
            teacherWidth = v;
            return this;
        }

        public Builder teacherModel(Path v) {
            teacherModel = v;
            return this;
        }

        public Builder studentInit(Path v) {
            studentInit = v;
            return this;
        }

        public Builder data(DataSpec v) {
            data = Objects.requireNonNull(v);
            return this;
        }

        /** Only these classes of the data ({@code --keep-classes}); null: all. */
        public Builder keepClasses(ClassSubset v) {
            keepClasses = v;
            return this;
        }

        public Builder trainSubset(int v) {
            trainSubset = v;
            return this;
        }

        /** The seed that draws the training subset; null: the run's seed. */
        public Builder subsetSeed(Long v) {
            subsetSeed = v;
            return this;
        }

        /** null: the data's and networks' default. */
        public Builder imageSize(Integer v) {
            imageSize = v;
            return this;
        }

        public Builder augment(Augment v) {
            augment = Objects.requireNonNull(v);
            return this;
        }

        public Builder epochs(int v) {
            epochs = v;
            return this;
        }

        public Builder pretrainEpochs(int v) {
            pretrainEpochs = v;
            return this;
        }

        public Builder batch(int v) {
            batch = v;
            return this;
        }

        /** null: the scheme's default learning rate. */
        public Builder learningRate(Double v) {
            learningRate = v;
            return this;
        }

        public Builder schedule(Schedule v) {
            schedule = Objects.requireNonNull(v);
            return this;
        }

        public Builder weightDecay(double v) {
            weightDecay = v;
            return this;
        }

        public Builder weightDecayForm(WeightDecay v) {
            weightDecayForm = Objects.requireNonNull(v);
            return this;
        }

        public Builder alpha(double v) {
            alpha = v;
            return this;
        }

        public Builder beta(double v) {
            beta = v;
            return this;
        }

        public Builder gamma(double v) {
            gamma = v;
            return this;
        }

        public Builder temperature(double v) {
            temperature = v;
            return this;
        }

        public Builder target(Target v) {
            target = Objects.requireNonNull(v);
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        /** The first epochs in which only the classifier of a student started from a model file learns. */
        public Builder freezeEpochs(int v) {
            freezeEpochs = v;
            return this;
        }

        public Builder out(Path v) {
            out = v;
            return this;
        }

        public Builder resume(boolean v) {
            resume = v;
            return this;
        }

        public Builder stopAfterEpoch(int v) {
            stopAfterEpoch = v;
            return this;
        }

        /** --ui: show DL4J's training UI at {@link #uiPort}. */
        public Builder ui(boolean v) {
            ui = v;
            return this;
        }

        /** The UI's port (used with {@link #ui}). */
        public Builder uiPort(int v) {
            uiPort = v;
            return this;
        }

        public Builder workers(int v) {
            workers = v;
            return this;
        }

        public Builder replicas(int v) {
            replicas = v;
            return this;
        }

        public Builder spark(String master) {
            spark = master;
            return this;
        }

        public Builder skipBadImages(boolean v) {
            skipBadImages = v;
            return this;
        }

        public Builder cacheTeacherLogits(boolean v) {
            cacheTeacherLogits = v;
            return this;
        }

        /** Keep a frozen teacher's logits per minibatch in (and read them from) the folder {@code v}; null: do not. */
        public Builder teacherLogitsStore(Path v) {
            teacherLogitsStore = v;
            return this;
        }

        /** Evaluate on the test split every {@code v} epochs (and after the last). */
        public Builder evalEvery(int v) {
            evalEvery = v;
            return this;
        }
    }
}
