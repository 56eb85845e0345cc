package org.apprentice.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/** Random crop and flip of in-memory images: what each image can become, and what fixes the draw. */
class CropFlipTest {
    private static final long SEED = 5;

    @TempDir
    Path home;

    private DataSource data() {
        return DataSource.open(DataSpec.SYNTHETIC, home, 16, 64, SEED, 1, false);
    }

    private static INDArray all(DataSetIterator it) {
        List<INDArray> parts = new ArrayList<>();
        it.reset();
        while (it.hasNext()) {
            parts.add(it.next().getFeatures());
        }
        return Nd4j.concat(0, parts.toArray(new INDArray[0]));
    }

    @Test
    void theDrawDependsOnSeedEpochAndPositionNotOnTheMinibatchSize() {
        try (DataSource data = data()) {
            INDArray by8 = all(data.train(1, 8, SEED, Augment.CROP_FLIP));
            INDArray by32 = all(data.train(1, 32, SEED, Augment.CROP_FLIP));
            assertEquals(by8, by32);
            assertEquals(by8, all(data.train(1, 8, SEED, Augment.CROP_FLIP)), "the same epoch again");
            assertNotEquals(by8, all(data.train(1, 8, SEED + 1, Augment.CROP_FLIP)), "another seed");
            INDArray plain = all(data.train(1, 8, SEED, Augment.NONE));
            assertNotEquals(plain, by8);
        }
    }

    @Test
    void eachImageIsOneOfItsCropsOrTheirMirrorsAndAboutHalfAreMirrored() {
        try (DataSource data = data()) {
            INDArray plain = all(data.train(2, 16, SEED, Augment.NONE));
            INDArray augmented = all(data.train(2, 16, SEED, Augment.CROP_FLIP));
            int pad = DataSpec.SYNTHETIC.cropPadding();
            int flipped = 0;
            int moved = 0;
            for (int i = 0; i < plain.size(0); i++) {
                float[] source = plain.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i)).dup().data().asFloat();
                float[] target = augmented.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i)).dup().data().asFloat();
                int[] found = match(source, target, pad);
                assertTrue(found != null, "image " + i + " is no crop or mirrored crop of its source");
                flipped += found[2];
                moved += found[0] != 0 || found[1] != 0 ? 1 : 0;
            }
            assertTrue(flipped > 16 && flipped < 48, flipped + " of 64 mirrored");
            assertTrue(moved > 32, moved + " of 64 shifted");
        }
    }

    /** The (dy, dx, flipped) that turn {@code source} into {@code target}, or null. */
    private static int[] match(float[] source, float[] target, int pad) {
        int side = SyntheticImages.SHAPE.height();
        int channels = SyntheticImages.SHAPE.channels();
        float[] out = new float[source.length];
        for (int flip = 0; flip <= 1; flip++) {
            for (int dy = -pad; dy <= pad; dy++) {
                for (int dx = -pad; dx <= pad; dx++) {
                    CropFlip.transform(source, out, 0, channels, side, side, dy, dx, flip == 1);
                    if (java.util.Arrays.equals(out, target)) {
                        return new int[] {dy, dx, flip};
                    }
                }
            }
        }
        return null;
    }

    @Test
    void aShiftFillsWithZerosAndAMirrorReversesRows() {
        float[] image = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        float[] out = new float[9];
        CropFlip.transform(image, out, 0, 1, 3, 3, 1, 0, false);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {4, 5, 6, 7, 8, 9, 0, 0, 0}, out);
        CropFlip.transform(image, out, 0, 1, 3, 3, 0, 0, true);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {3, 2, 1, 6, 5, 4, 9, 8, 7}, out);
        CropFlip.transform(image, out, 0, 1, 3, 3, 0, -1, true);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {2, 1, 0, 5, 4, 0, 8, 7, 0}, out);
    }

    @Test
    void theTestSplitIsNeverAugmented() {
        try (DataSource data = data()) {
            DataSet first = data.test(128).next();
            assertEquals(128, first.numExamples());
            assertEquals(SyntheticImages.generate(SyntheticImages.SHAPE, SyntheticImages.CLASS_NAMES.size(), 128, SEED + 1).getFeatures(),
                    first.getFeatures());
        }
    }
}
