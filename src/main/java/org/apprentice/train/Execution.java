package org.apprentice.train;

import java.nio.file.Path;

/**
 * Where and how a run executes; none of it changes a number the run computes, so it is the one component of
 * {@link RunSettings} that is not part of the run's identity (a run resumed with other execution settings is the
 * same run). Replicas and Spark keep the optimisation the same: batch norm then normalises each replica's share.
 *
 * @param out                the run folder
 * @param resume             continue from the run folder's last checkpoint
 * @param stopAfterEpoch     stop after this epoch (0: run to the end)
 * @param uiPort             the port of DL4J's training UI, or 0 for none
 * @param workers            image-decoding threads for image folders
 * @param replicas           data-parallel replicas of the student, each taking batch/replicas images a step
 * @param spark              a Spark master (local[N], or a cluster's URL) to train through, or null
 * @param skipBadImages      leave out image files that do not decode, with a warning each
 * @param cacheTeacherLogits schemes B/C on in-memory data: the frozen teacher's logits computed once
 * @param evalEvery          evaluate on the test split after every this many epochs, and always after the last
 *                           ({@code --eval-every}; 1: every epoch); other epochs record no test accuracy
 * @param teacherLogitsStore schemes B/C with a frozen teacher: where its logits of each minibatch are kept for later
 *                           runs that show it the same minibatches, and read from (null: not kept)
 */
public record Execution(Path out, boolean resume, int stopAfterEpoch, int uiPort, int workers, int replicas,
                        String spark, boolean skipBadImages, boolean cacheTeacherLogits, int evalEvery,
                        Path teacherLogitsStore) {
    /** The defaults: what the identity of every run holds. */
    public static final Execution DEFAULT = new Execution(null, false, 0, 0, 2, 1, null, false, false, 1, null);

    public Execution {
        Checks.atLeast("--stop-after-epoch", stopAfterEpoch, 0);
        Checks.atLeast("--workers", workers, 1);
        Checks.atLeast("--replicas", replicas, 1);
        Checks.atLeast("--eval-every", evalEvery, 1);
        if (uiPort < 0 || uiPort > 65535) {
            throw new IllegalArgumentException("--ui-port " + uiPort + " is not a port (1..65535)");
        }
        if (resume && out == null) {
            throw new IllegalArgumentException("--resume needs --out DIR, the folder of the run to continue");
        }
    }

    /** Whether epoch {@code epoch} of {@code epochs} is evaluated on the test split. */
    public boolean evaluates(int epoch, int epochs) {
        return epoch % evalEvery == 0 || epoch == epochs || epoch == stopAfterEpoch;
    }
}
