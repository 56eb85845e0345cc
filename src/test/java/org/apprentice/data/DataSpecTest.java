package org.apprentice.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** --data parsed once: its kind, its folder, its text back, and its model-store key. */
class DataSpecTest {

    @Test
    void parsesEveryKindAndGivesItsTextBack() {
        assertEquals(DataSpec.FASHION_MNIST, DataSpec.parse("fashion-mnist"));
        assertEquals(DataSpec.SYNTHETIC, DataSpec.parse(" synthetic "));
        DataSpec cifar = DataSpec.parse("cifar10:datasets/cifar10");
        assertEquals(new DataSpec(DataSpec.Kind.CIFAR10, Path.of("datasets/cifar10")), cifar);
        DataSpec folder = DataSpec.parse("/data/imagenet");
        assertEquals(DataSpec.Kind.IMAGE_FOLDER, folder.kind());
        for (String text : new String[] {"fashion-mnist", "synthetic", "cifar10:datasets/cifar10", "/data/imagenet"}) {
            assertEquals(text, DataSpec.parse(text).toString());
        }
        assertEquals(false, folder.inMemory());
        assertThrows(IllegalArgumentException.class, () -> DataSpec.parse(" "));
    }

    @Test
    void labelsNameTheDataAndTheSubset() {
        assertEquals("fashion-mnist", DataSpec.FASHION_MNIST.label(0));
        assertEquals("fashion-mnist-5000", DataSpec.FASHION_MNIST.label(5000));
        assertEquals("cifar10-c10", DataSpec.parse("cifar10:/data/c10").label(0));
        assertEquals("my_images-64", DataSpec.parse("/data/my images").label(64));
    }
}
