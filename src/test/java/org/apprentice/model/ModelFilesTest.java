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
        ModelFiles.save(ResNetBuilder.build(config()), config(), List.of("a", "b", "c"), zip);
        assertEquals(new InputShape(1, 12, 12), ModelFiles.recordedInput(zip));
        assertEquals(List.of("a", "b", "c"), ModelFiles.recordedClasses(zip));
        assertEquals(new ModelFiles.Architecture("resnet8", 0.25), ModelFiles.recordedArchitecture(zip));

        File plain = dir.resolve("plain.zip").toFile();
        ModelSerializer.writeModel(ResNetBuilder.build(config()), plain, false);
        assertEquals(null, ModelFiles.recordedArchitecture(plain), "a zip saved without records has none");
        ModelFiles.copyRecords(zip, plain);
        assertEquals(ModelFiles.recordedInput(zip), ModelFiles.recordedInput(plain));
        assertEquals(ModelFiles.recordedClasses(zip), ModelFiles.recordedClasses(plain));
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
        e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.requireCompatible(net, zip, config(), null));
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
}
