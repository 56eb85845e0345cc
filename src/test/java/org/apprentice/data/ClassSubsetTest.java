package org.apprentice.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

/** {@code --keep-classes}: only the kept classes' images, relabelled in the order given, the subset drawn from them. */
class ClassSubsetTest {
    @TempDir
    Path dir;

    @Test
    void parsesRangesAndListsAndRefusesNonsenseInOneLine() {
        assertEquals(List.of(5, 6, 7, 8, 9), ClassSubset.parse("5-9").indices());
        assertEquals(List.of(0, 2, 4), ClassSubset.parse("0, 2,4").indices());
        assertEquals("5-9", ClassSubset.parse("5,6,7-9").flag());
        assertEquals("3,1", ClassSubset.parse("3,1").flag());
        for (String bad : new String[] {"5", "9-5", "a-b", "1,1", "1--2", "0-2147483647"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClassSubset.parse(bad));
            assertTrue(e.getMessage().startsWith("--keep-classes"), e.getMessage());
        }
    }

    @Test
    void keepsTheClassesImagesRelabelledAndDrawsTheSubsetFromThem() {
        ClassSubset kept = ClassSubset.parse("3,1");
        try (DataSource all = DataSource.open(DataSpec.SYNTHETIC, dir, 16, 0, 42, 1, false);
             DataSource some = DataSource.open(DataSpec.SYNTHETIC, dir, 16, 0, 42, 1, false, kept)) {
            assertEquals(List.of("3", "1"), some.classNames());
            int[] allLabels = ClassSubset.labels(all.trainSet().getLabels());
            long threes = java.util.Arrays.stream(allLabels).filter(l -> l == 3).count();
            long ones = java.util.Arrays.stream(allLabels).filter(l -> l == 1).count();
            DataSet train = some.trainSet();
            assertEquals(threes + ones, train.numExamples());
            assertEquals(2, train.getLabels().size(1));
            // the first kept image is the first image of class 3 or 1, labelled by its place in the subset
            int first = 0;
            while (allLabels[first] != 3 && allLabels[first] != 1) {
                first++;
            }
            assertEquals(all.trainSet().getFeatures().slice(first), train.getFeatures().slice(0));
            assertEquals(allLabels[first] == 3 ? 0 : 1, ClassSubset.labels(train.getLabels())[0]);
        }
        try (DataSource subset = DataSource.open(DataSpec.SYNTHETIC, dir, 16, 20, 42, 1, false, kept)) {
            int[] labels = ClassSubset.labels(subset.trainSet().getLabels());
            assertEquals(20, labels.length);
            assertEquals(10, java.util.Arrays.stream(labels).filter(l -> l == 0).count(), "stratified over the kept");
        }
        IllegalArgumentException past = assertThrows(IllegalArgumentException.class,
                () -> DataSource.open(DataSpec.SYNTHETIC, dir, 16, 0, 42, 1, false, ClassSubset.parse("2-4")));
        assertEquals("--keep-classes 2-4: the data have 4 classes (0-3)", past.getMessage());
    }
}
