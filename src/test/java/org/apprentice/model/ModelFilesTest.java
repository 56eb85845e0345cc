package org.apprentice.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model zips: what they record (input, classes, architecture), and one-line errors naming the file and entry. */
class ModelFilesTest {
    @TempDir
    Path dir;

    private static ResNetConfig config() {
        return ResNetConfig.of("resnet8", 3, new InputShape(1, 12, 12)).withWidthMultiplier(0.25);
    }

    @Test
    void aZipRecordsItsInputClassesAndArchitecture() throws Exception {
        File zip = dir.resolve("m.zip").toFile();
        Normalization gray = new Normalization(new double[] {0.286}, new double[] {0.353});
        ModelFiles.save(ResNetBuilder.build(config()), config(), List.of("a", "b", "c"), gray, zip);
        assertEquals(gray, ModelFiles.recordedNormalization(zip));
        assertEquals(new InputShape(1, 12, 12), ModelFiles.recordedInput(zip));
        assertEquals(List.of("a", "b", "c"), ModelFiles.recordedClasses(zip));
        assertEquals(new ModelFiles.Architecture("resnet8", 0.25), ModelFiles.recordedArchitecture(zip));

        File plain = dir.resolve("plain.zip").toFile();
        ModelSerializer.writeModel(ResNetBuilder.build(config()), plain, false);
        assertEquals(null, ModelFiles.recordedArchitecture(plain), "a zip saved without records has none");
        ModelFiles.copyRecords(zip, plain);
        assertEquals(ModelFiles.recordedInput(zip), ModelFiles.recordedInput(plain));
        assertEquals(ModelFiles.recordedClasses(zip), ModelFiles.recordedClasses(plain));
        assertEquals(gray, ModelFiles.recordedNormalization(plain));
        File none = dir.resolve("none.zip").toFile();
        ModelFiles.save(ResNetBuilder.build(config()), config(), none);
        assertEquals(null, ModelFiles.recordedNormalization(none), "a zip saved without one records none");
    }

    /** A model made for inputs normalised one way is refused for data normalised another way, in one line. */
    @Test
    void normalizationMustMatchWhereBothSidesSayIt() throws Exception {
        File zip = dir.resolve("n.zip").toFile();
        ComputationGraph net = ResNetBuilder.build(config());
        ModelFiles.save(net, config(), List.of("a", "b", "c"), Normalization.NONE, zip);
        ModelFiles.requireCompatible(net, zip, config(), List.of("a", "b", "c"), Normalization.NONE);
        ModelFiles.requireCompatible(net, zip, config(), List.of("a", "b", "c"), null); // the data's unknown
        Normalization fashion = new Normalization(new double[] {0.286}, new double[] {0.353});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelFiles.requireCompatible(net, zip, config(), List.of("a", "b", "c"), fashion));
        assertEquals("model " + zip + " was trained on inputs normalised with mean=0.0 std=1.0, the student's are "
                + "normalised with mean=0.286 std=0.353", e.getMessage());
        assertEquals(fashion, Normalization.parse(fashion.toString()));
        assertThrows(IllegalArgumentException.class, () -> Normalization.parse("mean=1 std=0"));
    }

    @Test
    void aCorruptRecordIsAnErrorNamingTheZipAndTheEntry() throws Exception {
        File zip = dir.resolve("bad.zip").toFile();
        ComputationGraph net = ResNetBuilder.build(config());
        ModelSerializer.writeModel(net, zip, false);
        ModelSerializer.addObjectToFile(zip, ModelFiles.INPUT_ENTRY, "one,two");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.recordedInput(zip));
        assertTrue(e.getMessage().contains(zip.toString()) && e.getMessage().contains(ModelFiles.INPUT_ENTRY),
                e.getMessage());
        // the check a teacher goes through no longer skips silently
        e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.requireCompatible(net, zip, config(), null, null));
        assertTrue(e.getMessage().contains(ModelFiles.INPUT_ENTRY), e.getMessage());
    }

    @Test
    void aFolderOrAMissingFileIsNamedForWhatItIs() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelFiles.load(dir.toFile(), "--model"));
        assertEquals("--model " + dir + " is a folder, not a model zip", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.load(dir.resolve("no.zip").toFile(), "--model"));
        assertEquals("--model " + dir.resolve("no.zip") + " does not exist", e.getMessage());
        Files.writeString(dir.resolve("text.zip"), "hello");
        e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.load(dir.resolve("text.zip").toFile(), "--model"));
        assertTrue(e.getMessage().startsWith("--model " + dir.resolve("text.zip") + " is not a DL4J"), e.getMessage());
    }

    /** Class names are compared in order; a mismatch is one line naming the first difference and both lists. */
    @Test
    void classNamesMustMatchInOrder() throws Exception {
        File zip = dir.resolve("abc.zip").toFile();
        ComputationGraph net = ResNetBuilder.build(config());
        ModelFiles.save(net, config(), List.of("a", "b", "c"), null, zip);
        ModelFiles.requireCompatible(net, zip, config(), List.of("a", "b", "c"), null);
        ModelFiles.requireCompatible(net, zip, config(), null, null); // names unknown: the count decides
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelFiles.requireCompatible(net, zip, config(), List.of("a", "c", "b"), null));
        assertEquals("model " + zip + " was trained on other classes: its label 1 is 'b', the student's is 'c' (its "
                + "classes [a, b, c]; the student's [a, c, b])", e.getMessage());
        // a file whose recorded names do not even match its own number of outputs is refused, not a crash
        e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.requireFits(net, zip,
                new DataRecord(List.of("a", "b"), null, null), 3, new DataRecord(List.of("a", "b", "c"), config().input(),
                null), "--data d"));
        assertTrue(e.getMessage().contains("it names 2 classes, --data d 3"), e.getMessage());
    }
}
