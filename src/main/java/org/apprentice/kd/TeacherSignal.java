package org.apprentice.kd;

import org.deeplearning4j.nn.graph.ComputationGraph;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Where the teacher's logits of a training step come from, one kind per scheme: none (the student alone, and scheme
 * C's control), a teacher trained jointly (scheme A), a frozen teacher run in inference mode (schemes B and C), or
 * logits computed once and carried in the labels (B and C with {@code --cache-teacher-logits}), or a frozen teacher whose
 * logits per minibatch are kept for later runs ({@code --teacher-logits-store}). The training loop asks its signal,
 * never the scheme.
 */
sealed interface TeacherSignal {

    /** What a signal reports about the teacher's work as it goes. */
    interface Tally {
        /** A jointly trained teacher's step: its one-hot labels and the logits of its training pass. */
        void teacherStep(INDArray y, INDArray zT);

        /** One inference pass of a frozen teacher. */
        void teacherForward();
    }

    /** The labels the student trains on for inputs {@code x} with one-hot {@code y}: y, or [y | teacher logits]. */
    INDArray labels(INDArray x, INDArray y, Tally tally);

    /** Whether the student learns from a teacher (its loss has a distillation term). */
    default boolean distills() {
        return true;
    }

    /**
     * Whether the teacher takes a step with the student on every minibatch: then neither data-parallel replicas nor
     * Spark can train the pair, and the teacher's own epochs are counted.
     */
    default boolean trainsTeacher() {
        return false;
    }

    /** Called before each epoch. */
    default void startEpoch(int epoch) {
    }

    /** Called after each epoch. */
    default void endEpoch() {
    }

    /** No teacher. */
    record None() implements TeacherSignal {
        @Override
        public INDArray labels(INDArray x, INDArray y, Tally tally) {
            return y;
        }

        @Override
        public boolean distills() {
            return false;
        }
    }

    /** Scheme A: the teacher steps on its own loss, and the logits of that training pass guide the student. */
    record Joint(ComputationGraph teacher, LogitsCapture capture) implements TeacherSignal {
        public Joint {
            teacher.addListeners(capture);
        }

        @Override
        public INDArray labels(INDArray x, INDArray y, Tally tally) {
            teacher.fit(new INDArray[] {x}, new INDArray[] {y});
            INDArray zT = capture.take();
            tally.teacherStep(y, zT);
            return ApprenticeLoss.labels(y, zT);
        }

        @Override
        public boolean trainsTeacher() {
            return true;
        }

        @Override
        public void endEpoch() {
            teacher.incrementEpochCount();
        }
    }

    /** Schemes B and C: the trained teacher, frozen, in inference mode on every minibatch. */
    record Frozen(ComputationGraph teacher, long classes) implements TeacherSignal {
        @Override
        public INDArray labels(INDArray x, INDArray y, Tally tally) {
            return ApprenticeLoss.labels(y, logits(x, y, tally));
        }

        /** The teacher's logits for inputs {@code x}, whose labels {@code y} must be one-hot. */
        INDArray logits(INDArray x, INDArray y, Tally tally) {
            requireOneHot(y);
            INDArray zT = ApprenticeTrainer.teacherLogits(teacher, x);
            tally.teacherForward();
            return zT;
        }

        void requireOneHot(INDArray y) {
            if (y.size(1) != classes) {
                throw new IllegalStateException("one-hot labels of width " + classes + " expected, got " + y.size(1)
                        + ": labels that carry the teacher's logits train with ApprenticeTrainer.fromCachedTeacherLogits");
            }
        }
    }

    /** Schemes B and C with the frozen teacher's logits computed once ({@link ApprenticeTrainer#withTeacherLogits}). */
    record Cached(long classes) implements TeacherSignal {
        @Override
        public INDArray labels(INDArray x, INDArray y, Tally tally) {
            if (y.size(1) != 2 * classes) {
                throw new IllegalStateException("cached teacher logits expected: labels of width " + 2 * classes
                        + " ([one-hot | logits]), got " + y.size(1));
            }
            return y;
        }
    }

    /**
     * Schemes B and C with a frozen teacher whose logits of each minibatch are read from a {@link TeacherLogitsStore}
     * where an earlier run kept them for the same images (checked by digest), and computed, and kept, where not.
     */
    final class Stored implements TeacherSignal {
        private final Frozen teacher;
        private final TeacherLogitsStore store;
        private int epoch;
        private List<TeacherLogitsStore.Batch> kept = List.of();
        private final List<TeacherLogitsStore.Batch> seen = new ArrayList<>();
        private boolean computed;

        Stored(ComputationGraph teacher, long classes, TeacherLogitsStore store) {
            this.teacher = new Frozen(teacher, classes);
            this.store = store;
        }

        @Override
        public void startEpoch(int epoch) {
            this.epoch = epoch;
            kept = store.read(epoch);
            seen.clear();
            computed = false;
        }

        @Override
        public INDArray labels(INDArray x, INDArray y, Tally tally) {
            byte[] digest = TeacherLogitsStore.digest(x);
            TeacherLogitsStore.Batch before = seen.size() < kept.size() ? kept.get(seen.size()) : null;
            INDArray zT;
            if (before != null && Arrays.equals(before.digest(), digest) && before.logits().dataType() == x.dataType()
                    && before.logits().size(0) == x.size(0) && before.logits().size(1) == teacher.classes()) {
                teacher.requireOneHot(y);
                zT = before.logits();
            } else {
                zT = teacher.logits(x, y, tally);
                computed = true;
            }
            seen.add(new TeacherLogitsStore.Batch(digest, zT));
            return ApprenticeLoss.labels(y, zT);
        }

        @Override
        public void endEpoch() {
            if (computed || seen.size() != kept.size()) {
                store.write(epoch, seen);
            }
            seen.clear();
        }
    }
}
