package org.apprentice.train;

import java.nio.file.Path;
import java.util.Objects;
import org.apprentice.data.Augment;
import org.apprentice.data.DataSpec;
import org.apprentice.kd.ApprenticeLoss.Target;
import org.apprentice.kd.ApprenticeLoss;
import org.apprentice.kd.Scheme;
import org.apprentice.model.LayerPrecision;
import org.apprentice.model.ModelRegistry;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.model.StemShape;
import org.apprentice.model.WeightDecay;

/**
 * Everything that fixes one training run, typed, valid by construction. Built with {@link #builder()},
 * whose fields hold every default; flags, recipes, the study and the demo all go through it. The
 * constructor refuses out-of-range values and combinations a scheme cannot use, in one line that names
 * the flag; settings a scheme ignores (the teacher of scheme none, α outside scheme A, ...) are reset to
 * their defaults, so that the record says only what the run used. Written and read by {@link RunFolder}.
 *
 * @param teacher            the teacher's architecture; null for scheme none
 * @param teacherModel       a trained full-precision teacher zip (schemes B and C); null: the model store
 * @param studentInit        a trained full-precision student zip to lower (scheme C); null: the model store
 * @param trainSubset        training images kept (stratified, seeded); 0 keeps all
 * @param imageSize          input height and width for image folders
 * @param workers            image-decoding threads for image folders
 * @param replicas           data-parallel replicas of the student, each taking batch/replicas images a step
 *                           ({@link org.apprentice.kd.ApprenticeTrainer#replicas})
 * @param spark              a Spark master (local[N], or a cluster's URL) to train through, or null
 * @param noTeacher          scheme C's control: the lowered model fine-tuned with the same schedule, no teacher
 * @param augment            training-time augmentation (never in evaluation)
 * @param weightDecayForm    how --wd enters training: L2 before the updater (default) or decoupled
 * @param pretrainEpochs     epochs of a teacher or scheme-C starting point trained on the fly (not in the model
 *                           store); 0: the run's epochs
 * @param cacheTeacherLogits schemes B/C on in-memory data: the frozen teacher's logits computed once
 * @param out                the run folder
 * @param resume             continue from the run folder's last checkpoint
 * @param stopAfterEpoch     stop after this epoch (0: run to the end)
 * @param uiPort             the port of DL4J's training UI, or 0 for none
 */
public record RunSettings(Scheme scheme, boolean noTeacher, String student, double studentWidth, PrecisionSpec precision,
                          String teacher, double teacherWidth, Path teacherModel, Path studentInit,
                          DataSpec data, int trainSubset, int imageSize, int workers, int replicas,
                          String spark, boolean skipBadImages, Augment augment,
                          int epochs, int pretrainEpochs, int batch, double learningRate, Schedule schedule,
                          double weightDecay, WeightDecay weightDecayForm,
                          double alpha, double beta, double gamma, double temperature, Target target,
                          boolean cacheTeacherLogits, long seed,
                          Path out, boolean resume, int stopAfterEpoch, int uiPort) {

    public RunSettings {
        Objects.requireNonNull(scheme, "scheme");
        Objects.requireNonNull(precision, "precision");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(augment, "augment");
        Objects.requireNonNull(weightDecayForm, "weightDecayForm");
        student = ModelRegistry.get(student).name(); // "ResNet20" is resnet20
        requireControl(scheme, noTeacher, teacherModel);
        if (scheme.needsTeacher() && !noTeacher) {
            teacher = ModelRegistry.get(teacher).name();
        }
        positive("--width", studentWidth);
        positive("--teacher-width", teacherWidth);
        atLeast("--train-subset", trainSubset, 0);
        atLeast("--image-size", imageSize, 1);
        atLeast("--workers", workers, 1);
        atLeast("--replicas", replicas, 1);
        atLeast("--epochs", epochs, 1);
        atLeast("--pretrain-epochs", pretrainEpochs, 0);
        atLeast("--batch", batch, 1);
        positive("--lr", learningRate);
        atLeastZero("--wd", weightDecay);
        positive("--alpha", alpha);
        atLeastZero("--beta", beta);
        atLeastZero("--gamma", gamma);
        positive("--temperature", temperature);
        atLeast("--stop-after-epoch", stopAfterEpoch, 0);
        if (stopAfterEpoch > epochs) {
            throw new IllegalArgumentException("--stop-after-epoch " + stopAfterEpoch + " is past --epochs " + epochs);
        }
        if (uiPort < 0 || uiPort > 65535) {
            throw new IllegalArgumentException("--ui-port " + uiPort + " is not a port (1..65535)");
        }
        if (scheme.needsTeacher() && !noTeacher && beta + gamma == 0) {
            throw new IllegalArgumentException("--beta and --gamma are both 0: scheme " + scheme
                    + "'s student would learn nothing");
        }
        if (teacherModel != null && !(scheme == Scheme.B || scheme == Scheme.C)) {
            throw new IllegalArgumentException("--teacher-model is for schemes B and C (a trained, frozen teacher); "
                    + "scheme " + scheme.flag() + (scheme == Scheme.A ? " trains its teacher from scratch"
                    : " has no teacher"));
        }
        if (studentInit != null && scheme != Scheme.C) {
            throw new IllegalArgumentException("--student-init is for scheme C (lower a trained model); scheme "
                    + scheme.flag() + " trains its student from scratch");
        }
        requireParallel(scheme, batch, replicas, spark);
        if (cacheTeacherLogits && augment != Augment.NONE && data.inMemory() && (scheme == Scheme.B || scheme == Scheme.C)
                && !noTeacher) {
            throw new IllegalArgumentException("--cache-teacher-logits needs --augment none: with augmentation the "
                    + "frozen teacher must see each minibatch as the student sees it, and the images differ every epoch");
        }
        if (resume && out == null) {
            throw new IllegalArgumentException("--resume needs --out DIR, the folder of the run to continue");
        }
    }

    /** Scheme C's control (--no-teacher) is for scheme C only, and has no teacher model. */
    private static void requireControl(Scheme scheme, boolean noTeacher, Path teacherModel) {
        if (noTeacher && scheme != Scheme.C) {
            throw new IllegalArgumentException("--no-teacher is scheme C's control (the lowered model fine-tuned "
                    + "without a teacher); scheme " + scheme.flag() + (scheme == Scheme.NONE ? " has no teacher anyway"
                    : " trains with one"));
        }
        if (noTeacher && teacherModel != null) {
            throw new IllegalArgumentException("--teacher-model with --no-teacher: the control has no teacher; leave "
                    + "out one of them");
        }
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

    /** The activation bits when {@code --act-bits} is not given: full precision with full-precision weights, else 8. */
    public static int defaultActivationBits(int weightBits) {
        return weightBits == LayerPrecision.FULL ? LayerPrecision.FULL : 8;
    }

    /** The learning rate when {@code --lr} is not given: 0.1, or 0.01 for scheme C, which fine-tunes. */
    public static double defaultLearningRate(Scheme scheme) {
        return scheme == Scheme.C ? 0.01 : 0.1;
    }

    /**
     * The input size when {@code --image-size} is not given: in-memory images at the size they are stored at,
     * raised to the smallest input the networks accept (an ImageNet-shape ResNet downsamples 32x); image folders
     * at the student's design size (224 for the ImageNet shape, 32 for the small-image one).
     */
    public static int defaultImageSize(DataSpec data, String student, String teacher) {
        StemShape shape = ModelRegistry.get(student).shape();
        if (data.storedSize() == 0) {
            return ModelRegistry.get(student).defaultImageSize();
        }
        int smallest = Math.max(shape.downsampling(),
                teacher == null ? 1 : ModelRegistry.get(teacher).shape().downsampling());
        return Math.max(data.storedSize(), smallest);
    }

    /** The deeper ResNet of the same shape family that teaches {@code student} by default (its registry entry's). */
    public static String defaultTeacher(String student) {
        return ModelRegistry.get(student).defaultTeacher();
    }

    /**
     * The settings that must not change when a run is resumed: these settings without where and how it runs
     * (folder, resume, stop-after, UI, decoding threads, the teacher-logit cache), none of which changes a number,
     * and the replicas or Spark, which keep the optimisation the same (batch norm then normalises each replica's share).
     */
    public RunSettings identity() {
        return toBuilder().out(null).resume(false).stopAfterEpoch(0).uiPort(0).workers(1).replicas(1)
                .spark(null).skipBadImages(false).cacheTeacherLogits(false).build();
    }

    /** What the run trains, in words: the scheme's description, or scheme C's control. */
    public String description() {
        return noTeacher ? "lower a trained model, then fine-tune without a teacher: scheme C's control"
                : scheme.description();
    }

    /** A teacher guides this run's student (schemes A, B, C; not C's control). */
    public boolean usesTeacher() {
        return scheme.needsTeacher() && !noTeacher;
    }

    /** The epochs of a full-precision model trained on the fly for this run (teacher, scheme-C starting point). */
    public int epochsOfPretraining() {
        return pretrainEpochs > 0 ? pretrainEpochs : epochs;
    }

    /** The label of the student's precision: "fp32", "w2a4", "w2a4 ttq/pact" (learned quantizers), ... */
    public String precisionLabel() {
        return precision.label();
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
        b.student = student;
        b.studentWidth = studentWidth;
        b.precision = precision;
        b.teacher = teacher;
        b.teacherWidth = teacherWidth;
        b.teacherModel = teacherModel;
        b.studentInit = studentInit;
        b.data = data;
        b.trainSubset = trainSubset;
        b.imageSize = imageSize;
        b.workers = workers;
        b.replicas = replicas;
        b.spark = spark;
        b.noTeacher = noTeacher;
        b.augment = augment;
        b.weightDecayForm = weightDecayForm;
        b.skipBadImages = skipBadImages;
        b.epochs = epochs;
        b.pretrainEpochs = pretrainEpochs;
        b.batch = batch;
        b.learningRate = learningRate;
        b.schedule = schedule;
        b.weightDecay = weightDecay;
        b.alpha = alpha;
        b.beta = beta;
        b.gamma = gamma;
        b.temperature = temperature;
        b.target = target;
        b.cacheTeacherLogits = cacheTeacherLogits;
        b.seed = seed;
        b.out = out;
        b.resume = resume;
        b.stopAfterEpoch = stopAfterEpoch;
        b.uiPort = uiPort;
        return b;
    }

    private static void positive(String flag, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(flag + " must be a positive number, got " + value);
        }
    }

    private static void atLeastZero(String flag, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(flag + " must be 0 or more, got " + value);
        }
    }

    private static void atLeast(String flag, long value, long min) {
        if (value < min) {
            throw new IllegalArgumentException(flag + " must be " + min + " or more, got " + value);
        }
    }

    /** Every setting with its default; {@code null} ones are resolved from the others when built. */
    public static final class Builder {
        private Scheme scheme = Scheme.NONE;
        private String student = "resnet20";
        private double studentWidth = 1.0;
        /** null: {@link #defaultWeightBits} and {@link #defaultActivationBits} of the scheme. */
        private PrecisionSpec precision;
        /** null: {@link #defaultTeacher} of the student. */
        private String teacher;
        private double teacherWidth = 1.0;
        private Path teacherModel;
        private Path studentInit;
        private DataSpec data = DataSpec.FASHION_MNIST;
        private int trainSubset = 0;
        /** null: {@link #defaultImageSize} of the data and networks. */
        private Integer imageSize;
        private int workers = 2;
        private int replicas = 1;
        private String spark;
        private boolean noTeacher;
        private Augment augment = Augment.CROP_FLIP;
        private WeightDecay weightDecayForm = WeightDecay.L2;
        private boolean skipBadImages = false;
        private int epochs = 2;
        private int pretrainEpochs = 0;
        private int batch = 128;
        /** null: {@link #defaultLearningRate} of the scheme. */
        private Double learningRate;
        private Schedule schedule = Schedule.COSINE;
        private double weightDecay = 1e-4;
        private double alpha = 1.0;
        private double beta = ApprenticeLoss.PAPER_BETA;
        private double gamma = ApprenticeLoss.PAPER_GAMMA;
        private double temperature = 1.0;
        private Target target = Target.SOFTMAX;
        private boolean cacheTeacherLogits = false;
        private long seed = 42;
        private Path out;
        private boolean resume = false;
        private int stopAfterEpoch = 0;
        private int uiPort = 0;

        private Builder() {
        }

        /**
         * The settings, checked; what the scheme ignores is checked for range, then reset to its default
         * (scheme none: teacher and loss weights; α outside scheme A; the logit cache outside B and C).
         */
        public RunSettings build() {
            RunSettings given = make();
            Builder used = given.toBuilder();
            Builder defaults = new Builder();
            if (scheme == Scheme.NONE || noTeacher) {
                used.teacher = null;
                used.teacherWidth = defaults.teacherWidth;
                used.beta = defaults.beta;
                used.gamma = defaults.gamma;
                used.temperature = defaults.temperature;
                used.target = defaults.target;
            }
            if (scheme != Scheme.A) {
                used.alpha = defaults.alpha;
            }
            if (scheme != Scheme.B && scheme != Scheme.C) {
                used.cacheTeacherLogits = false;
                used.pretrainEpochs = defaults.pretrainEpochs;
            }
            if (noTeacher) {
                used.cacheTeacherLogits = false;
            }
            return used.make();
        }

        private RunSettings make() {
            int weightBits = defaultWeightBits(scheme);
            PrecisionSpec p = precision != null ? precision
                    : PrecisionSpec.of(weightBits, defaultActivationBits(weightBits));
            String t = teacher != null || scheme == Scheme.NONE || noTeacher ? teacher : defaultTeacher(student);
            double lr = learningRate != null ? learningRate : defaultLearningRate(scheme);
            int size = imageSize != null ? imageSize : defaultImageSize(data, student,
                    scheme.needsTeacher() && !noTeacher ? t : null);
            return new RunSettings(scheme, noTeacher, student, studentWidth, p, t, teacherWidth, teacherModel, studentInit, data,
                    trainSubset, size, workers, replicas, spark, skipBadImages, augment, epochs, pretrainEpochs, batch, lr, schedule, weightDecay,
                    weightDecayForm, alpha,
                    beta, gamma, temperature, target, cacheTeacherLogits, seed, out, resume, stopAfterEpoch, uiPort);
        }

        public Builder scheme(Scheme v) {
            scheme = Objects.requireNonNull(v);
            return this;
        }

        public Builder student(String v) {
            student = v;
            return this;
        }

        public Builder studentWidth(double v) {
            studentWidth = v;
            return this;
        }

        /** null: the scheme's default precision. */
        public Builder precision(PrecisionSpec v) {
            precision = v;
            return this;
        }

        /** null: the student's default teacher. */
        public Builder teacher(String v) {
            teacher = v;
            return this;
        }

        public Builder teacherWidth(double v) {
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

        public Builder trainSubset(int v) {
            trainSubset = v;
            return this;
        }

        /** null: the data's and networks' default. */
        public Builder imageSize(Integer v) {
            imageSize = v;
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

        public Builder noTeacher(boolean v) {
            noTeacher = v;
            return this;
        }

        public Builder augment(Augment v) {
            augment = Objects.requireNonNull(v);
            return this;
        }

        public Builder weightDecayForm(WeightDecay v) {
            weightDecayForm = Objects.requireNonNull(v);
            return this;
        }

        public Builder skipBadImages(boolean v) {
            skipBadImages = v;
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

        public Builder cacheTeacherLogits(boolean v) {
            cacheTeacherLogits = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
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

        public Builder uiPort(int v) {
            uiPort = v;
            return this;
        }
    }
}
