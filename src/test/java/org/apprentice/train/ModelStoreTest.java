package org.apprentice.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apprentice.eval.Accuracy;
import org.junit.jupiter.api.Test;

/** The model store takes only models that learned something. */
class ModelStoreTest {

    @Test
    void onlyAModelClearlyAboveChanceCountsAsTrained() {
        // 10 classes, 10,000 test images: chance is 1,000 hits with a standard deviation of 30
        assertTrue(!ModelStore.aboveChance(new Accuracy(0.1000, 0.5, 10_000), 10));
        assertTrue(!ModelStore.aboveChance(new Accuracy(0.1085, 0.5, 10_000), 10));
        assertTrue(ModelStore.aboveChance(new Accuracy(0.1095, 0.5, 10_000), 10));
        assertTrue(!ModelStore.aboveChance(new Accuracy(0.0, 0.0, 0), 10));
    }
}
