package org.apprentice.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apprentice.cli.Main;
import org.apprentice.data.SyntheticImages;
import org.apprentice.kd.ApprenticeTrainer;
import org.apprentice.kd.Scheme;
import org.apprentice.kd.SparkTraining;
import org.apprentice.testing.TinySchemeB;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/** DL4J's Spark module (1.0.0-M2) training this project's graphs (1.0.0-M2.1) in local mode. */
class SparkTrainingTest {

    @TempDir
    Path dir;

    @Test
    void aTernaryStudentLearnsFromAFrozenTeacherThroughSparkLocal2() {
        TinySchemeB tiny = TinySchemeB.create();
        ComputationGraph teacher = tiny.teacher();
        ComputationGraph student = tiny.student();
        DataSet train = tiny.train();
        INDArray before = student.params().dup();
        try (SparkTraining spark = SparkTraining.start("local[2]")) {
            assertEquals(2, spark.workers());
            ApprenticeTrainer trainer = ApprenticeTrainer.fromTrainedTeacher(Scheme.B, teacher, student).spark(spark);
            org.apprentice.kd.EpochMetrics m = trainer.trainEpoch(1, SyntheticImages.iterator(train, 8));
            assertEquals(48, m.images());
            assertEquals(6, m.teacherForwardPasses());
            assertTrue(Double.isFinite(m.loss()) && m.loss() > 0, "loss " + m.loss());
        }
        assertNotEquals(before, student.params(), "the averaged parameters came back to the student");
        assertEquals(1, student.getConfiguration().getEpochCount());
    }

    /** {@code train} on 64 synthetic images, resnet8, one epoch, batch 32, with {@code flags}. */
    private static int train(ByteArrayOutputStream out, ByteArrayOutputStream err, String... flags) {
        out.reset();
        err.reset();
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("train", "--data", "synthetic",
                "--train-subset", "64", "--epochs", "1", "--batch", "32", "--student", "resnet8"));
        args.addAll(java.util.List.of(flags));
        return Main.run(args.toArray(new String[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void trainRunsSchemeCThroughSpark() throws Exception {
        String saved = System.getProperty("apprentice.home");
        System.setProperty("apprentice.home", dir.resolve("home").toString());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Path run = dir.resolve("c");
        try {
            assertEquals(0, train(out, err, "--width", "0.5", "--out", dir.resolve("teacher").toString()));
            assertEquals(0, train(out, err, "--width", "0.25", "--out", dir.resolve("fp").toString()));
            int code = train(out, err, "--width", "0.25", "--scheme", "C", "--teacher", "resnet8",
                    "--teacher-model", dir.resolve("teacher/student.zip").toString(),
                    "--student-init", dir.resolve("fp/student.zip").toString(), "--spark", "local[2]",
                    "--out", run.toString());
            assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        } finally {
            if (saved == null) {
                System.clearProperty("apprentice.home");
            } else {
                System.setProperty("apprentice.home", saved);
            }
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("training through Spark at local[2]: 2 workers, 16 images each per step of 32"),
                printed);
        assertTrue(Files.isRegularFile(run.resolve("student.zip")));
    }
}
