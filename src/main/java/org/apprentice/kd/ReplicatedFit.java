package org.apprentice.kd;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.deeplearning4j.parallelism.factory.TrainerContext;
import org.deeplearning4j.parallelism.trainer.DefaultTrainer;
import org.deeplearning4j.parallelism.trainer.Trainer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * One epoch of data-parallel training on DL4J's {@link ParallelWrapper}: {@code replicas} copies of the
 * student each take a minibatch, then their parameters and updater states (Nesterov's momentum) are
 * averaged after every step (averaging frequency 1).
 *
 * <p>Why this is the same optimisation as one model at the global batch: the SGD/Nesterov update, L2 and
 * decoupled weight decay are linear in the gradient and in the momentum, so averaging the replicas'
 * parameters and momenta after one step each equals one step on the average gradient of their minibatches,
 * the gradient of the union. The differences that remain: batch normalisation normalises over each
 * replica's own minibatch (as PyTorch's DistributedDataParallel without SyncBatchNorm), its running
 * statistics are averaged, and floating-point sums run in another order. DL4J's other mode, shared
 * gradients, sends threshold-compressed updates and is not equivalent; it is not used.
 *
 * <p>Replica 0 is the student itself; the others are rebuilt from its configuration (epoch count
 * included, so epoch schedules agree) for each epoch. Each replica hands its minibatch's labels and its
 * own pre-update logits to {@code measured}, which must be thread-safe.
 */
final class ReplicatedFit extends ParallelWrapper {
    /** The first failure of any replica (an exception or an error such as running out of memory). */
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    private ReplicatedFit(ComputationGraph student, int replicas, int threadsPerReplica,
                          BiConsumer<INDArray, INDArray> measured) {
        super(student, replicas, 0);
        averagingFrequency = 1;
        averageUpdaters = true;
        reportScore = false;
        isMQ = Nd4j.getAffinityManager().getNumberOfDevices() > 1;
        workspaceMode = WorkspaceMode.ENABLED;
        trainerContext = new MeasuringContext(measured, new CountDownLatch(replicas), threadsPerReplica, failure);
        init();
    }

    /** Trains {@code student} for one pass over {@code batches}; the student keeps its own listeners. */
    static void fit(ComputationGraph student, int replicas, DataSetIterator batches,
                    BiConsumer<INDArray, INDArray> measured) {
        List<TrainingListener> own = new ArrayList<>(student.getListeners());
        List<TrainingListener> shared = new ArrayList<>();
        for (TrainingListener l : own) {
            if (!(l instanceof LogitsCapture)) {
                shared.add(l); // e.g. the training UI's listener, cloned per replica by DL4J
            }
        }
        int threads = Nd4j.getEnvironment().maxThreads();
        int masterThreads = Nd4j.getEnvironment().maxMasterThreads();
        int threadsPerReplica = Math.max(1, threads / replicas);
        ReplicatedFit wrapper = new ReplicatedFit(student, replicas, threadsPerReplica, measured);
        Nd4j.getEnvironment().setMaxThreads(threadsPerReplica);
        Nd4j.getEnvironment().setMaxMasterThreads(Math.max(1, masterThreads / replicas));
        try {
            wrapper.setListeners(shared);
            wrapper.fit(batches);
        } catch (RuntimeException e) {
            Throwable cause = wrapper.failure.get() != null ? wrapper.failure.get() : e;
            while (cause.getCause() != null && cause.getCause() != cause) {
                cause = cause.getCause();
            }
            throw new IllegalStateException("a data-parallel replica failed (" + cause.getClass().getSimpleName()
                    + (cause.getMessage() == null ? "" : ": " + cause.getMessage().lines().findFirst().orElse(""))
                    + "); try --replicas 1", e);
        } finally {
            student.setListeners(own);
            Nd4j.getEnvironment().setMaxThreads(threads);
            Nd4j.getEnvironment().setMaxMasterThreads(masterThreads);
            wrapper.shutdown();
        }
    }

    /** Makes {@link MeasuringTrainer}s, the DL4J default trainer plus the per-minibatch measurement. */
    private record MeasuringContext(BiConsumer<INDArray, INDArray> measured, CountDownLatch ready, int threads,
                                    AtomicReference<Throwable> failure) implements TrainerContext {
        @Override
        public void init(Model model, Object... args) {
        }

        @Override
        public Trainer create(String uuid, int threadId, Model model, int rootDevice, boolean useMDS,
                              ParallelWrapper wrapper, WorkspaceMode mode, int averagingFrequency) {
            MeasuringTrainer trainer = new MeasuringTrainer(measured, ready, threads, failure, model, threadId, wrapper, mode, useMDS,
                    uuid + "_thread_" + threadId, averagingFrequency);
            trainer.setName("replica " + threadId);
            trainer.setDaemon(true);
            return trainer;
        }

        @Override
        public void finalizeRound(Model originalModel, Model... models) {
        }

        @Override
        public void finalizeTraining(Model originalModel, Model... models) {
        }
    }

    /** DL4J's trainer thread; after each step, reports the minibatch's labels and the replica's logits. */
    private static final class MeasuringTrainer extends DefaultTrainer {
        private final LogitsCapture logits = new LogitsCapture();
        private final BiConsumer<INDArray, INDArray> measured;
        private final CountDownLatch ready;
        private final int threads;
        private final AtomicReference<Throwable> failure;

        MeasuringTrainer(BiConsumer<INDArray, INDArray> measured, CountDownLatch ready, int threads,
                         AtomicReference<Throwable> failure, Model model, int threadId, ParallelWrapper wrapper,
                         WorkspaceMode mode, boolean useMDS, String uuid, int averagingFrequency) {
            this.measured = measured;
            this.ready = ready;
            this.threads = threads;
            this.failure = failure;
            this.originalModel = model;
            this.replicatedModel = model;
            this.threadId = threadId;
            this.parallelWrapper = wrapper;
            this.workspaceMode = mode;
            this.useMDS = useMDS;
            this.uuid = uuid;
            this.averagingFrequency = averagingFrequency;
        }

        @Override
        protected void postInit() {
            super.postInit();
            Collection<TrainingListener> listeners = new ArrayList<>(((ComputationGraph) replicatedModel).getListeners());
            listeners.add(logits);
            replicatedModel.setListeners(listeners);
            NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(threads); // OpenMP's setting is per thread
            ready.countDown();
        }

        /**
         * Steps only once every replica has copied the student's parameters: DL4J's replicas copy them when
         * their thread starts, which can be after replica 0 (the student itself) has taken its first step.
         */
        /**
         * DL4J's wait polls every microsecond, which on a machine with one core per replica takes CPU from the
         * replicas; a step lasts tens of milliseconds or more, so polling every half millisecond costs nothing.
         */
        @Override
        public void waitTillRunning() {
            while (running.get() != 0) {
                if (thrownException != null) {
                    throw new RuntimeException(thrownException);
                }
                if (failure.get() != null) {
                    throw new IllegalStateException("a replica failed", failure.get());
                }
                LockSupport.parkNanos(500_000L);
            }
        }

        /**
         * DL4J's trainer thread, with any failure (an error included, which DL4J's loop does not catch) kept
         * for the coordinator, and the start-up latch released so that no replica waits for a dead one.
         */
        @Override
        public void run() {
            try {
                super.run();
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            } finally {
                ready.countDown();
            }
        }

        @Override
        protected void fit(DataSet dataSet) {
            try {
                while (!ready.await(100, TimeUnit.MILLISECONDS) || failure.get() != null) {
                    if (failure.get() != null) {
                        throw new IllegalStateException("another replica failed", failure.get());
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the replicas were starting", e);
            }
            super.fit(dataSet);
            measured.accept(dataSet.getLabels(), logits.take());
        }
    }
}
