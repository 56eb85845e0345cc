package org.apprentice.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apprentice.cli.Main;
import org.apprentice.data.SyntheticImages;
import org.apprentice.model.ModelFiles;
import org.apprentice.model.Normalization;
import org.apprentice.model.ResNetBuilder;
import org.apprentice.model.ResNetConfig;
import org.apprentice.testing.CommandLine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code compress} end to end, small: two "published" resnet8s trained on other classes become a fine-tuned teacher,
 * a fine-tuned full-precision student, a lowered student with and without the teacher, an export of the better and a
 * report of the four; the same command again trains nothing; other settings in the same folder are refused.
 */
class CompressionTest {
    @TempDir
    Path dir;

    @org.junit.jupiter.api.extension.RegisterExtension
    final CommandLine cli = new CommandLine(() -> dir.resolve("home"));

    private File published(double width, List<String> classes) throws Exception {
        ResNetConfig config = ResNetConfig.of("resnet8", classes.size(), SyntheticImages.SHAPE).withWidthMultiplier(width)
                .withSeed(7);
        File zip = dir.resolve("published-" + width + "-" + classes.size() + ".zip").toFile();
        ModelFiles.save(ResNetBuilder.build(config), config, classes, new Normalization(new double[] {0.5},
                new double[] {0.25}), zip);
        return zip;
    }

    private int compress(File teacher, File student, Path folder, String epochs) {
        return cli.run("compress", "--teacher-init", teacher.toString(), "--student-init", student.toString(), "--data",
                "synthetic", "--train-subset", "64", "--batch", "32", "--epochs", epochs, "--pretrain-epochs", "1",
                "--bits", "2", "--act-bits", "4", "--out", folder.toString());
    }

    private String out() {
        return cli.out();
    }

    @Test
    void fromTwoPublishedFilesToAnExportedStudentAndItsReport() throws Exception {
        File teacher = published(0.5, List.of("cat", "dog", "bird"));
        File student = published(0.25, List.of("cat", "dog", "bird"));
        Path folder = dir.resolve("compressed");
        assertEquals(0, compress(teacher, student, folder, "2"), cli.err());
        for (String step : new String[] {"teacher", "student-fp32", "scheme-c", "scheme-c-control"}) {
            assertTrue(Files.isRegularFile(folder.resolve(step).resolve("student.zip")), step);
            assertEquals(SyntheticImages.CLASS_NAMES, ModelFiles.recordedClasses(folder.resolve(step)
                    .resolve("student.zip").toFile()), step + " has the data's classes");
        }
        String report = Files.readString(folder.resolve("report.md"));
        for (String row : new String[] {"| resnet8 x0.5 fp32, the teacher fine-tuned |",
                "| resnet8 x0.25 fp32, the student fine-tuned |", "| resnet8 w2a4, no teacher (C's control) |",
                "| resnet8 w2a4, scheme C (with the teacher) |"}) {
            assertTrue(report.contains(row), row + " in\n" + report);
        }
        assertTrue(report.contains("Scheme C vs its control: ") && report.contains("either run moved by up to"), report);
        java.util.regex.Matcher exported = java.util.regex.Pattern.compile("Exported: (.*), the better of the two on "
                + "the evaluation split \\(([0-9.]+)% against ([0-9.]+)%").matcher(report);
        assertTrue(exported.find(), report);
        assertTrue(Double.parseDouble(exported.group(2)) >= Double.parseDouble(exported.group(3)), report);
        assertTrue(Files.isRegularFile(folder.resolve("export/student-int8.onnx")));
        assertTrue(Files.isRegularFile(folder.resolve("export/student.packed")));
        assertTrue(Files.size(folder.resolve("curves.png")) > 1000);
        // the exported student is the chosen step's
        String chosen = exported.group(1).contains("control") ? "scheme-c-control" : "scheme-c";
        assertEquals(-1, Files.mismatch(folder.resolve("export/student.packed"),
                folder.resolve("report").resolve(chosen).resolve("student.packed")), "the export is " + chosen + "'s");

        // the same command continues: every step is done, nothing trains
        assertEquals(0, compress(teacher, student, folder, "2"), cli.err());
        assertEquals(4, out().lines().filter(l -> l.matches("\\[[a-z0-9-]+\\] done: .*")).count(), out());
        assertTrue(!out().contains("epoch 1/"), out());
        // other settings in the same folder: refused in one line, nothing lost
        assertEquals(Main.USAGE_ERROR, compress(teacher, student, folder, "3"));
        assertTrue(cli.err().contains("step scheme-c in " + folder.resolve("scheme-c") + " was trained with other "
                + "settings"), cli.err());
        assertTrue(Files.isRegularFile(folder.resolve("scheme-c/student.zip")));
    }

    @Test
    void aTeacherWithTheDataClassesIsUsedAsItIs() throws Exception {
        File teacher = published(0.5, SyntheticImages.CLASS_NAMES);
        File student = published(0.25, List.of("cat", "dog", "bird"));
        Path folder = dir.resolve("given-teacher");
        assertEquals(0, compress(teacher, student, folder, "2"), cli.err());
        assertTrue(out().contains("[teacher] skipped: " + teacher + " was trained on the data's classes"), out());
        assertTrue(!Files.exists(folder.resolve("teacher")));
        assertTrue(Files.readString(folder.resolve("report.md")).contains("| resnet8 x0.5 fp32, the teacher as given |"));
    }
}
