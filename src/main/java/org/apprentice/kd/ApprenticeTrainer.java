package org.apprentice.kd;

import org.apprentice.data.MappedBatches;
import org.apprentice.eval.Ranks;
import org.apprentice.model.ResNetBuilder;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One training loop for every scheme; its {@link TeacherSignal}, chosen by the factory, decides where the teacher's
 * logits come from (the scheme itself only names the run).
 *
 * <ul>
 *   <li>{@link Scheme#NONE}: the student alone, softmax cross-entropy.</li>
 *   <li>{@link Scheme#A}: per minibatch the teacher takes its own step on α·H(y, p_T), and the logits of
 *       that training pass (captured, no second forward) guide the student's step; the distillation
 *       term never reaches the teacher.</li>
 *   <li>{@link Scheme#B}, {@link Scheme#C}: the teacher is frozen and run in inference mode. Where the
 *       inputs repeat exactly (no augmentation), {@link #withTeacherLogits} computes its logits once for
 *       the whole training set; minibatches whose labels already carry them skip the teacher.
 *       Scheme C differs from B only in the student's starting point ({@link org.apprentice.model.ModelFiles#lowerPrecision}).</li>
 * </ul>
 */
public final class ApprenticeTrainer {

    private final Scheme scheme;
    private final ComputationGraph student;
    private final TeacherSignal signal;
    private final ApprenticeLoss loss;
    private final LogitsCapture studentLogits = new LogitsCapture();
    private int replicas = 1;
    private SparkTraining spark;

    private ApprenticeTrainer(Scheme scheme, TeacherSignal signal, ComputationGraph student, ApprenticeLoss loss) {
        this.scheme = scheme;
        this.signal = signal;
        this.student = student;
        this.loss = loss;
        student.addListeners(studentLogits);
    }

    /** Plain training: teachers, scheme-C starting points, and the no-distillation control. */
    public static ApprenticeTrainer withoutTeacher(ComputationGraph student) {
        return new ApprenticeTrainer(Scheme.NONE, new TeacherSignal.None(), student, null);
    }

    /** Scheme A: {@code teacher} has the {@link Heads#teacher} head, which carries α. */
    public static ApprenticeTrainer jointly(ComputationGraph teacher, ComputationGraph student) {
        ApprenticeLoss loss = apprenticeLoss(Scheme.A, student); // refused before the teacher gets a listener
        return new ApprenticeTrainer(Scheme.A, new TeacherSignal.Joint(teacher, new LogitsCapture()), student, loss);
    }

    /** Scheme B or C with a trained, frozen teacher, run in inference mode on every minibatch. */
    public static ApprenticeTrainer fromTrainedTeacher(Scheme scheme, ComputationGraph teacher,
                                                       ComputationGraph student) {
        requireFrozenTeacherScheme(scheme);
        return new ApprenticeTrainer(scheme, new TeacherSignal.Frozen(teacher, classes(student)), student, apprenticeLoss(scheme, student));
    }

    /**
     * Scheme B or C with a trained, frozen teacher whose logits of each minibatch are read from {@code store} where an
     * earlier run kept them for the same images, and computed and kept where not ({@link TeacherLogitsStore}).
     */
    public static ApprenticeTrainer fromStoredTeacherLogits(Scheme scheme, ComputationGraph teacher,
                                                            ComputationGraph student, TeacherLogitsStore store) {
        requireFrozenTeacherScheme(scheme);
        return new ApprenticeTrainer(scheme, new TeacherSignal.Stored(teacher, classes(student), store), student,
                apprenticeLoss(scheme, student));
    }

    /**
     * Scheme B or C trained on minibatches whose labels already carry the frozen teacher's logits
     * ({@link #withTeacherLogits}): the teacher does not run.
     */
    public static ApprenticeTrainer fromCachedTeacherLogits(Scheme scheme, ComputationGraph student) {
        requireFrozenTeacherScheme(scheme);
        return new ApprenticeTrainer(scheme, new TeacherSignal.Cached(classes(student)), student,
                apprenticeLoss(scheme, student));
    }

    private static void requireFrozenTeacherScheme(Scheme scheme) {
        if (scheme != Scheme.B && scheme != Scheme.C) {
            throw new IllegalArgumentException("a trained, frozen teacher is for schemes B and C, not " + scheme);
        }
    }

    private static ApprenticeLoss apprenticeLoss(Scheme scheme, ComputationGraph student) {
        if (outputLoss(student) instanceof ApprenticeLoss loss) {
            return loss;
        }
        throw new IllegalArgumentException("scheme " + scheme + " needs a student with the ApprenticeLoss head "
                + "(Heads.apprentice), got " + outputLoss(student).getClass().getSimpleName());
    }

    private static Object outputLoss(ComputationGraph net) {
        LayerVertex output = (LayerVertex) net.getConfiguration().getVertices().get(ResNetBuilder.OUTPUT);
        return ((LossLayer) output.getLayerConf().getLayer()).getLossFn();
    }

    public Scheme scheme() {
        return scheme;
    }

    /**
     * Trains through {@code n} data-parallel replicas of the student ({@link ReplicatedFit}), each taking
     * one minibatch of the iterator per step; 1 trains the student itself. Scheme A is refused: its teacher
     * steps with the student on every minibatch, which the replicas cannot share.
     */
    public ApprenticeTrainer replicas(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("--replicas must be at least 1, got " + n);
        }
        if (n > 1 && signal.trainsTeacher()) {
            throw new IllegalArgumentException("--replicas " + n + " is not available for scheme A: its teacher "
                    + "trains with the student on each minibatch; use scheme B or C, or --replicas 1");
        }
        replicas = n;
        return this;
    }

    public int replicas() {
        return replicas;
    }

    /**
     * Trains through Spark ({@link SparkTraining}) instead of in this JVM; the iterator then gives minibatches
     * of batch / workers. Spark's workers keep their logits, so an epoch reports Spark's mean loss and no
     * training accuracy or loss terms (NaN). Scheme A is refused as with replicas.
     */
    public ApprenticeTrainer spark(SparkTraining training) {
        if (signal.trainsTeacher()) {
            throw new IllegalArgumentException("--spark is not available for scheme A: its teacher trains with the "
                    + "student on each minibatch; use scheme B or C");
        }
        spark = training;
        return this;
    }

    /** Told the running count of images after every minibatch (progress display). */
    @FunctionalInterface
    public interface Progress {
        void imagesDone(long images);
    }

    /** One pass over {@code data}. */
    public EpochMetrics trainEpoch(int epoch, DataSetIterator data) {
        return trainEpoch(epoch, data, images -> { });
    }

    /** One pass over {@code data}, reporting progress after each minibatch. */
    public EpochMetrics trainEpoch(int epoch, DataSetIterator data, Progress progress) {
        long start = System.nanoTime();
        Totals totals = new Totals(progress);
        data.reset();
        signal.startEpoch(epoch);
        if (spark != null) {
            double loss = spark.fit(student, new MappedBatches(data, batch -> totals.counted(labelled(batch, totals))));
            totals.sparkLoss(loss);
        } else if (replicas > 1) {
            ReplicatedFit.fit(student, replicas, new MappedBatches(data, batch -> labelled(batch, totals)),
                    totals::student);
        } else {
            while (data.hasNext()) {
                DataSet batch = labelled(data.next(), totals);
                student.fit(new INDArray[] {batch.getFeatures()}, new INDArray[] {batch.getLabels()});
                totals.student(batch.getLabels(), studentLogits.take());
            }
        }
        student.incrementEpochCount(); // drives epoch-based learning-rate schedules
        signal.endEpoch();
        return totals.metrics(epoch, (System.nanoTime() - start) / 1e9);
    }

    /** The minibatch with the labels the student trains on, as the teacher signal makes them. */
    private DataSet labelled(DataSet batch, Totals totals) {
        INDArray y = batch.getLabels();
        INDArray labels = signal.labels(batch.getFeatures(), y, totals);
        return labels == y ? batch : new org.nd4j.linalg.dataset.DataSet(batch.getFeatures(), labels);
    }

    /** One epoch's running sums; replicas add to them from their own threads. */
    private final class Totals implements TeacherSignal.Tally {
        private final Progress progress;
        private double teacherCe;
        private double studentCe;
        private double distill;
        private long images;
        private long teacherForwards;
        private double sparkLoss = Double.NaN;
        private final long[] studentHits = new long[2];
        private final long[] teacherHits = new long[2];

        Totals(Progress progress) {
            this.progress = progress;
        }

        @Override
        public synchronized void teacherStep(INDArray y, INDArray zT) {
            teacherCe += crossEntropy(y, zT) * y.size(0);
            Ranks.countHits(y, zT, teacherHits);
            teacherForwards++;
        }

        @Override
        public synchronized void teacherForward() {
            teacherForwards++;
        }

        /** A minibatch handed to Spark, whose workers keep the logits: counted, not measured. */
        synchronized DataSet counted(DataSet batch) {
            images += batch.getFeatures().size(0);
            progress.imagesDone(images);
            return batch;
        }

        synchronized void sparkLoss(double loss) {
            sparkLoss = loss;
        }

        /** The student's pre-update logits {@code zA} on a minibatch trained with {@code labels}. */
        synchronized void student(INDArray labels, INDArray zA) {
            long n = zA.size(0);
            if (!signal.distills()) {
                studentCe += crossEntropy(labels, zA) * n;
                Ranks.countHits(labels, zA, studentHits);
            } else {
                Ranks.countHits(labels.get(NDArrayIndex.all(), NDArrayIndex.interval(0, classes())), zA, studentHits);
                double[] terms = loss.terms(labels, zA);
                studentCe += terms[0] * n;
                distill += terms[1] * n;
            }
            images += n;
            progress.imagesDone(images);
        }

        synchronized EpochMetrics metrics(int epoch, double seconds) {
            if (spark != null) {
                return new EpochMetrics(epoch, Double.NaN, Double.NaN, Double.NaN, sparkLoss, images, seconds,
                        teacherForwards, Double.NaN, Double.NaN, Double.NaN);
            }
            double ce = studentCe / images;
            double kd = distill / images;
            double total = !signal.distills() ? ce : loss.getBeta() * ce + loss.getGamma() * kd;
            boolean joint = signal.trainsTeacher();
            return new EpochMetrics(epoch, joint ? teacherCe / images : Double.NaN, ce,
                    !signal.distills() ? Double.NaN : kd, total, images, seconds, teacherForwards,
                    (double) studentHits[0] / images, (double) studentHits[1] / images,
                    joint ? (double) teacherHits[0] / images : Double.NaN);
        }
    }

    private long classes() {
        return classes(student);
    }

    private static long classes(ComputationGraph student) {
        return ((org.deeplearning4j.nn.conf.layers.FeedForwardLayer) student.getLayer(ResNetBuilder.LOGITS).conf()
                .getLayer()).getNOut();
    }

    /**
     * A copy of {@code data} whose labels are {@code [y | teacher logits]}: the frozen teacher runs once
     * over the whole set (in minibatches of {@code batch}, inference mode), and every later epoch, in any
     * order, reuses its logits. Only valid while the inputs repeat exactly (no augmentation).
     */
    public static org.nd4j.linalg.dataset.DataSet withTeacherLogits(org.nd4j.linalg.dataset.DataSet data,
                                                                    ComputationGraph teacher, int batch) {
        return withTeacherLogits(data, teacher, batch, x -> x);
    }

    /** As {@link #withTeacherLogits(org.nd4j.linalg.dataset.DataSet, ComputationGraph, int)}, the inputs made by {@code toInput}. */
    public static org.nd4j.linalg.dataset.DataSet withTeacherLogits(org.nd4j.linalg.dataset.DataSet data,
                                                                    ComputationGraph teacher, int batch,
                                                                    java.util.function.UnaryOperator<INDArray> toInput) {
        java.util.List<INDArray> parts = new java.util.ArrayList<>();
        long n = data.numExamples();
        for (long from = 0; from < n; from += batch) {
            INDArray x = data.getFeatures().get(NDArrayIndex.interval(from, Math.min(n, from + batch)));
            parts.add(teacherLogits(teacher, toInput.apply(x)));
        }
        INDArray logits = org.nd4j.linalg.factory.Nd4j.vstack(parts.toArray(new INDArray[0]));
        return new org.nd4j.linalg.dataset.DataSet(data.getFeatures(), ApprenticeLoss.labels(data.getLabels(), logits));
    }

    /** The {@code fc} logits only, in inference mode, detached (no copies of the other layers' activations). */
    static INDArray teacherLogits(ComputationGraph teacher, INDArray x) {
        return teacher.output(java.util.List.of(ResNetBuilder.LOGITS), false, new INDArray[] {x}, null)[0];
    }

    private static double crossEntropy(INDArray oneHot, INDArray logits) {
        return -oneHot.mul(ApprenticeLoss.logSoftmax(logits.castTo(oneHot.dataType()))).sumNumber().doubleValue()
                / logits.size(0);
    }
}
