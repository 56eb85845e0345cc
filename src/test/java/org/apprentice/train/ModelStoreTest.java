package org.apprentice.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apprentice.eval.Accuracy;
import org.junit.jupiter.api.Test;

/** What a run checks before it writes: the store takes only models that learned something; the disk has room. */
class ModelStoreTest {

    @Test
    void onlyAModelClearlyAboveChanceCountsAsTrained() {
        // 10 classes, 10,000 test images: chance is 1,000 hits with a standard deviation of 30
        assertTrue(!ModelStore.aboveChance(new Accuracy(0.1000, 0.5, 10_000), 10));
        assertTrue(!ModelStore.aboveChance(new Accuracy(0.1085, 0.5, 10_000), 10));
        assertTrue(ModelStore.aboveChance(new Accuracy(0.1095, 0.5, 10_000), 10));
        assertTrue(!ModelStore.aboveChance(new Accuracy(0.0, 0.0, 0), 10));
    }

    @Test
    void aDiskTooSmallForTheCheckpointsIsRefusedBeforeTraining() {
        java.nio.file.Path out = java.nio.file.Path.of("/data/run");
        TrainingRun.requireSpace(out, 1_000_000, 1_000_000);
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> TrainingRun.requireSpace(out, 39_000_000, 2_500_000));
        org.junit.jupiter.api.Assertions.assertEquals("--out /data/run: only 2.5 MB free on its disk, the run needs "
                + "about 39.0 MB for its checkpoints and models; free some space or give another --out", e.getMessage());
    }
}
