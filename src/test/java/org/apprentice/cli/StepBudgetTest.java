package org.apprentice.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apprentice.train.CosineStepSchedule;
import org.apprentice.train.EpochRecord;
import org.apprentice.train.RunFolder;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.learning.config.Nesterovs;

/**
 * What a study with a budget of optimizer steps needs from {@code train}: the cosine schedule by step
 * ({@code --schedule cosine-steps}), the test split evaluated every N epochs ({@code --eval-every}), and the training
 * subset drawn by a seed of its own ({@code --subset-seed}); end to end on the synthetic set.
 */
class StepBudgetTest {
    @TempDir
    Path dir;

    private String savedHome;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void temporaryHome() {
        savedHome = System.getProperty("apprentice.home");
        System.setProperty("apprentice.home", dir.resolve("home").toString());
    }

    @AfterEach
    void restoreHome() {
        if (savedHome == null) {
            System.clearProperty("apprentice.home");
        } else {
            System.setProperty("apprentice.home", savedHome);
        }
    }

    /** 64 synthetic images at batch 32: two optimizer steps an epoch. */
    private int train(String... flags) {
        out.reset();
        err.reset();
        List<String> all = new ArrayList<>(List.of("train", "--data", "synthetic", "--batch", "32", "--student", "resnet8",
                "--width", "0.25"));
        if (!Arrays.asList(flags).contains("--train-subset")) {
            all.addAll(List.of("--train-subset", "64"));
        }
        all.addAll(Arrays.asList(flags));
        return Main.run(all.toArray(new String[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void theCosineByStepDecaysWithinEpochsAndResumesExactly() throws Exception {
        Path whole = dir.resolve("whole");
        Path split = dir.resolve("split");
        String[] common = {"--epochs", "3", "--lr", "0.1", "--schedule", "cosine-steps", "--eval-every", "2"};
        assertEquals(0, train(concat(common, "--out", whole.toString())), err.toString());
        assertEquals(0, train(concat(common, "--out", split.toString(), "--stop-after-epoch", "1")), err.toString());
        assertEquals(0, train(concat(common, "--out", split.toString(), "--resume")), err.toString());

        ComputationGraph a = ModelSerializer.restoreComputationGraph(whole.resolve("student.zip").toFile());
        ComputationGraph b = ModelSerializer.restoreComputationGraph(split.resolve("student.zip").toFile());
        assertEquals(a.params(), b.params(), "a stopped and resumed run ends as the uninterrupted one");
        assertEquals(6, a.getConfiguration().getIterationCount(), "3 epochs of 2 steps");
        Nesterovs updater = Arrays.stream(a.getLayers()).map(l -> l.conf().getLayer())
                .filter(l -> l instanceof BaseLayer).map(l -> (Nesterovs) ((BaseLayer) l).getIUpdater()).findFirst().orElseThrow();
        assertEquals(new CosineStepSchedule(0.1, 6), updater.getLearningRateSchedule(), "saved with the model");

        List<EpochRecord> epochs = new RunFolder(whole).readEpochs();
        for (int e = 0; e < 3; e++) { // the rate at each epoch's first step: 2 steps an epoch, 6 in all
            assertEquals(0.1 * 0.5 * (1 + Math.cos(Math.PI * 2 * e / 6)), epochs.get(e).lr(), 1e-12);
        }
        assertEquals(List.of(false, true, true), epochs.stream().map(EpochRecord::evaluated).toList(),
                "every second epoch, and the last");
        assertEquals(List.of(true, true, true), new RunFolder(split).readEpochs().stream().map(EpochRecord::evaluated)
                .toList(), "the epoch a run stops after is evaluated too");
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("test top-1"), out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theCosineByStepEndsAtZeroAndHalvesHalfWay() {
        CosineStepSchedule s = new CosineStepSchedule(0.2, 100);
        assertEquals(0.2, s.valueAt(0, 0), 1e-15);
        assertEquals(0.1, s.valueAt(50, 3), 1e-15);
        assertEquals(0.0, s.valueAt(100, 9), 1e-15);
        assertEquals(0.0, s.valueAt(150, 9), 1e-15, "past the budget it stays at 0");
    }

    @Test
    void theSubsetSeedDrawsTheSubsetAndTheSeedTheRest() throws Exception {
        Path[] runs = {dir.resolve("s1-subset7"), dir.resolve("s2-subset7"), dir.resolve("s1")};
        assertEquals(0, train("--epochs", "1", "--seed", "1", "--subset-seed", "7", "--out", runs[0].toString()), err.toString());
        assertEquals(0, train("--epochs", "1", "--seed", "2", "--subset-seed", "7", "--out", runs[1].toString()), err.toString());
        assertEquals(0, train("--epochs", "1", "--seed", "1", "--out", runs[2].toString()), err.toString());
        String[] data = new String[3];
        for (int i = 0; i < 3; i++) {
            data[i] = new RunFolder(runs[i]).readProvenance("student.zip").inputs().dataSha256();
        }
        assertEquals(data[0], data[1], "the same subset seed draws the same images");
        assertNotEquals(data[0], data[2], "without --subset-seed the run's seed draws the subset");
        assertEquals(7, new RunFolder(runs[1]).readSettings().data().subsetSeed());
        assertEquals(1, new RunFolder(runs[2]).readSettings().data().subsetSeed());
        assertNotEquals(ModelSerializer.restoreComputationGraph(runs[0].resolve("student.zip").toFile()).params(),
                ModelSerializer.restoreComputationGraph(runs[1].resolve("student.zip").toFile()).params(),
                "the seeds draw different initial weights");
    }

    @Test
    void misusedFlagsAreRefusedInOneLineNamingThem() {
        String[][] cases = {
                {"--train-subset", "0", "--subset-seed", "3"},
                {"--schedule", "cosine-steps", "--replicas", "2"},
                {"--eval-every", "0"},
                {"--schedule", "cosine-step"}};
        String[] named = {"--subset-seed", "--schedule cosine-steps", "--eval-every", "cosine-steps"};
        for (int i = 0; i < cases.length; i++) {
            assertEquals(Main.USAGE_ERROR, train(concat(cases[i], "--out", dir.resolve("bad" + i).toString())),
                    Arrays.toString(cases[i]));
            String e = err.toString(StandardCharsets.UTF_8);
            assertEquals(1, e.strip().lines().count(), e);
            assertTrue(e.contains(named[i]), named[i] + " in: " + e);
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
