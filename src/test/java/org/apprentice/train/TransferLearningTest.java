package org.apprentice.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apprentice.cli.Main;
import org.apprentice.data.SyntheticImages;
import org.apprentice.model.InputShape;
import org.apprentice.model.ModelFiles;
import org.apprentice.model.Normalization;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.model.ResNetBuilder;
import org.apprentice.model.ResNetConfig;
import org.apprentice.testing.CommandLine;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Transfer learning: a student started from a model file trained on other classes keeps every weight but its
 * classifier, sees inputs normalised as the file was trained, can train its classifier alone first, resumes exactly,
 * and schemes B and C fine-tune a teacher or starting point of other classes on the data before using it.
 */
class TransferLearningTest {
    @TempDir
    Path dir;

    @org.junit.jupiter.api.extension.RegisterExtension
    final CommandLine cli = new CommandLine(() -> dir.resolve("home"));

    /** A "published" model's normalization, not the synthetic data's (none). */
    private static final Normalization PUBLISHED = new Normalization(new double[] {0.5}, new double[] {0.25});

    /** Runs train on 64 synthetic images (4 classes, 1x16x16), batch 32; the given flags are added. */
    private int train(String... args) {
        List<String> all = new ArrayList<>(List.of("train", "--data", "synthetic", "--train-subset", "64", "--batch",
                "32", "--student", "resnet8", "--width", "0.25"));
        all.addAll(List.of(args));
        return cli.run(all.toArray(new String[0]));
    }

    private String out() {
        return cli.out();
    }

    /** A full-precision resnet8 x0.25 for 3 other classes, its weights drawn by {@code seed}, saved as a zip. */
    private File published(InputShape input, long seed) throws Exception {
        ResNetConfig config = ResNetConfig.of("resnet8", 3, input).withWidthMultiplier(0.25).withSeed(seed);
        ComputationGraph model = ResNetBuilder.build(config);
        File zip = dir.resolve("published-" + input.channels() + "-" + seed + ".zip").toFile();
        ModelFiles.save(model, config, List.of("cat", "dog", "bird"), PUBLISHED, zip);
        return zip;
    }

    @Test
    void theClassifierIsReplacedForOtherClassesAndEveryOtherWeightKept() throws Exception {
        File file = published(SyntheticImages.SHAPE, 7);
        ComputationGraph source = ModelFiles.load(file, "model");
        ResNetConfig student = ResNetConfig.of("resnet8", 4, SyntheticImages.SHAPE).withWidthMultiplier(0.25);
        ModelFiles.Transfer t = ModelFiles.transfer(source, file, student, SyntheticImages.CLASS_NAMES);
        assertTrue(t.note().contains("trained on 3 classes [cat, dog, bird], the data have 4 [0, 1, 2, 3]: its "
                + "classifier is replaced"), t.note());
        Map<String, INDArray> from = source.paramTable();
        for (Map.Entry<String, INDArray> e : t.student().paramTable().entrySet()) {
            if (e.getKey().startsWith(ResNetBuilder.LOGITS + "_")) {
                assertEquals(4, e.getValue().size(e.getValue().rank() - 1), e.getKey() + ": the data's 4 classes");
            } else {
                assertEquals(from.get(e.getKey()), e.getValue(), e.getKey() + " is the file's");
            }
        }
        // the same classes: the classifier is kept too
        ResNetConfig three = ResNetConfig.of("resnet8", 3, SyntheticImages.SHAPE).withWidthMultiplier(0.25);
        ModelFiles.Transfer same = ModelFiles.transfer(source, file, three, List.of("cat", "dog", "bird"));
        assertEquals(source.params(), same.student().params());
        assertTrue(same.note().contains("every weight is kept"), same.note());
        // the same number of classes under other names is transfer too
        ModelFiles.Transfer renamed = ModelFiles.transfer(source, file, three, List.of("a", "b", "c"));
        assertTrue(renamed.note().contains("classifier is replaced"), renamed.note());

        File rgb = published(new InputShape(3, 16, 16), 7);
        IllegalArgumentException channels = assertThrows(IllegalArgumentException.class, () -> ModelFiles.transfer(
                ModelFiles.load(rgb, "model"), rgb, student, SyntheticImages.CLASS_NAMES));
        assertEquals("--init " + rgb + " takes 3-channel images, the data are 1-channel (1x16x16)",
                channels.getMessage());
        IllegalArgumentException wider = assertThrows(IllegalArgumentException.class, () -> ModelFiles.transfer(
                source, file, student.withWidthMultiplier(0.5), SyntheticImages.CLASS_NAMES));
        assertTrue(wider.getMessage().contains("give the --student and --width it was trained as"), wider.getMessage());
        ComputationGraph low = ResNetBuilder.build(student.withPrecision(PrecisionSpec.of(2, 4)));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelFiles.transfer(low, file, student,
                SyntheticImages.CLASS_NAMES)).getMessage().contains("is low precision"));
    }

    /**
     * {@code --init} with {@code --freeze-epochs 1}: the first epoch moves the classifier alone (the batch norm's
     * running statistics follow the data), the second the whole network; the inputs are normalised as the file was
     * trained and the student records it; stopped after the frozen epoch and resumed, the run ends exactly as an
     * uninterrupted one.
     */
    @Test
    void aStudentStartedFromAFileTrainsItsClassifierFirstAndResumesExactly() throws Exception {
        File file = published(SyntheticImages.SHAPE, 7);
        Map<String, INDArray> from = ModelFiles.load(file, "model").paramTable();
        Path stopped = dir.resolve("stopped");
        assertEquals(0, train("--init", file.toString(), "--epochs", "2", "--freeze-epochs", "1",
                "--stop-after-epoch", "1", "--out", stopped.toString()), cli.err());
        assertTrue(out().contains("its classifier is replaced by a freshly initialised one for the data's classes"),
                out());
        assertTrue(out().contains("inputs normalised as " + file + " was trained: " + PUBLISHED), out());
        assertTrue(out().contains("epochs 1-1: only the classifier learns (--freeze-epochs)"), out());
        assertTrue(out().contains("lr 0.01"), "fine-tuning's learning rate: " + out());
        Map<String, INDArray> afterFrozen = ModelFiles.load(stopped.resolve("checkpoint-epoch-1/student.zip").toFile(),
                "checkpoint").paramTable();
        int kept = 0;
        for (Map.Entry<String, INDArray> e : afterFrozen.entrySet()) {
            String key = e.getKey();
            if (key.startsWith(ResNetBuilder.LOGITS + "_")) {
                continue;
            }
            boolean runningStatistic = key.endsWith("_mean") || key.endsWith("_var") || key.endsWith("_log10stdev");
            if (!runningStatistic) {
                assertEquals(from.get(key), e.getValue(), key + " is frozen in epoch 1");
                kept++;
            }
        }
        assertTrue(kept > 20, kept + " frozen parameters");

        assertEquals(0, train("--init", file.toString(), "--epochs", "2", "--freeze-epochs", "1", "--resume", "--out",
                stopped.toString()), cli.err());
        ComputationGraph resumed = ModelFiles.load(stopped.resolve("student.zip").toFile(), "student");
        assertNotEquals(from.get("conv1_W"), resumed.paramTable().get("conv1_W"), "epoch 2 trains the whole network");
        assertEquals(PUBLISHED, ModelFiles.recordedNormalization(stopped.resolve("student.zip").toFile()));

        Path whole = dir.resolve("whole");
        assertEquals(0, train("--init", file.toString(), "--epochs", "2", "--freeze-epochs", "1", "--out",
                whole.toString()), cli.err());
        assertEquals(ModelFiles.load(whole.resolve("student.zip").toFile(), "student").params(), resumed.params(),
                "a resumed run ends exactly as an uninterrupted one");
        // eval sees the test images normalised as the student was trained, not refused for the data's own
        assertEquals(0, cli.run("eval", "--model", whole.resolve("student.zip").toString(), "--data", "synthetic"),
                cli.err());
        assertTrue(out().contains("top-1"), out());
    }

    /**
     * Scheme C given one published file as both teacher and starting point (the failing command of the issue): both
     * were trained on other classes, so each is fine-tuned on the data first, in a folder of its own, then used.
     */
    @Test
    void schemeCFineTunesATeacherAndStartingPointOfOtherClassesFirst() throws Exception {
        File file = published(SyntheticImages.SHAPE, 7);
        Path c = dir.resolve("c");
        assertEquals(0, train("--scheme", "C", "--bits", "2", "--act-bits", "4", "--teacher", "resnet8",
                "--teacher-width", "0.25", "--teacher-model", file.toString(), "--student-init", file.toString(),
                "--epochs", "1", "--pretrain-epochs", "1", "--out", c.toString()), cli.err());
        assertTrue(out().contains("teacher: " + file + " was trained on other classes; fine-tuning it on the data "
                + "first in " + c.resolve("teacher-resnet8-fine-tuned")), out());
        assertTrue(out().contains("student: " + file + " was trained on other classes; fine-tuning it on the data "
                + "first in " + c.resolve("student-resnet8-fine-tuned")), out());
        for (String role : new String[] {"teacher", "student"}) {
            File tuned = c.resolve(role + "-resnet8-fine-tuned/student.zip").toFile();
            assertEquals(SyntheticImages.CLASS_NAMES, ModelFiles.recordedClasses(tuned));
            assertEquals(PUBLISHED, ModelFiles.recordedNormalization(tuned));
        }
        assertTrue(Files.isRegularFile(c.resolve("student.zip")));
        assertEquals(PUBLISHED, ModelFiles.recordedNormalization(c.resolve("student.zip").toFile()),
                "the lowered student sees the inputs its starting point learned from");

        // the same command again (a new run folder) refuses nothing and the settings hold the files given
        assertEquals(Path.of(file.getPath()), new RunFolder(c).readSettings().student().init());
        assertFalse(cli.err().contains("Exception"), cli.err());
    }

    @Test
    void filesThatCannotStartTheStudentAreRefusedInOneLine() throws Exception {
        File rgb = published(new InputShape(3, 16, 16), 7);
        assertEquals(Main.USAGE_ERROR, train("--init", rgb.toString(), "--epochs", "1", "--out",
                dir.resolve("rgb").toString()));
        assertEquals("apprentice: --init " + rgb + " takes 3-channel images, the data are 1-channel (1x16x16)",
                cli.err().trim());
        assertEquals(Main.USAGE_ERROR, train("--init", rgb.toString(), "--bits", "2", "--epochs", "1"));
        assertTrue(cli.err().contains("--scheme C-control"), cli.err());
        assertEquals(1, cli.err().trim().lines().count(), cli.err());
    }
}
