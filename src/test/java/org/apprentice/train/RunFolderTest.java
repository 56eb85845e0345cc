package org.apprentice.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apprentice.data.Augment;
import org.apprentice.data.DataSpec;
import org.apprentice.kd.ApprenticeLoss.Target;
import org.apprentice.kd.EpochMetrics;
import org.apprentice.kd.Scheme;
import org.apprentice.model.LayerPrecision;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.model.WeightDecay;
import org.apprentice.quant.KBitWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run folder's files, written and read back as the same typed records. */
class RunFolderTest {
    @TempDir
    Path dir;

    private static RunSettings everySettingSet() {
        return RunSettings.builder().scheme(Scheme.C).student("resnet8").studentWidth(0.5)
                .precision(PrecisionSpec.of(4, 4).withQuantizedEnds(true, false)
                        .withWeightScaling(KBitWeights.Scaling.PER_CHANNEL)
                        .withOverride("layer1.0.conv1", new LayerPrecision(32, 8)))
                .teacher("resnet32").teacherWidth(2.0).teacherModel(Path.of("runs/t/student.zip"))
                .studentInit(Path.of("/abs/s.zip")).data(DataSpec.parse("cifar10:datasets/cifar10")).trainSubset(100)
                .imageSize(32).workers(3).skipBadImages(true).epochs(5).pretrainEpochs(7).batch(16).learningRate(0.02)
                .schedule(Schedule.STEP).weightDecay(5e-4).beta(0.25).gamma(0.75).temperature(2).target(Target.LOGITS)
                .augment(Augment.NONE).cacheTeacherLogits(true).seed(9).out(Path.of("runs/all")).resume(true).stopAfterEpoch(2).ui(true).uiPort(9001)
                .build();
    }

    @Test
    void settingsRoundTripAsJson() throws Exception {
        RunFolder run = new RunFolder(dir);
        assertNull(run.readSettings());
        RunSettings settings = everySettingSet();
        run.writeSettings(settings);
        assertEquals(settings, run.readSettings());
        String json = Files.readString(dir.resolve(RunFolder.SETTINGS));
        assertTrue(json.contains("\"source\" : \"cifar10:datasets/cifar10\"") && json.contains("\"scheme\" : \"C\""), json);
    }

    /** Format 1 as its last version wrote it: a study's scheme-C control (the file the committed study holds). */
    private Path formatOne() throws Exception {
        Path file = dir.resolve(RunFolder.SETTINGS);
        try (var in = getClass().getResourceAsStream("/format1/run.json")) {
            Files.write(file, in.readAllBytes());
        }
        return file;
    }

    @Test
    void settingsOfFormatOneReadAsTheSameRun() throws Exception {
        Path file = formatOne();
        assertTrue(!Files.readString(file).contains("\"format\""), "format 1 wrote no number");
        RunSettings read = new RunFolder(dir).readSettings();
        RunSettings expected = RunSettings.builder().scheme(Scheme.C).noTeacher(true).student("resnet8")
                .precision(PrecisionSpec.of(2, 4).withMethods(org.apprentice.quant.WeightMethod.LSQ,
                        org.apprentice.quant.ActivationMethod.LSQ))
                .studentInit(Path.of("/work/study2/runs/reproduce/fashion-mnist/resnet8-fp32/student.zip"))
                .trainSubset(20000).epochs(6).learningRate(0.01).weightDecay(1e-4).weightDecayForm(WeightDecay.L2)
                .out(Path.of("/work/study2/runs/reproduce/fashion-mnist/w2a4-lsq-c-control")).build();
        assertEquals(Scheme.C_CONTROL, read.scheme(), "noTeacher: true is scheme C's control");
        assertEquals(expected, read);
        // written again, it is the current format, and reads back the same
        new RunFolder(dir).writeSettings(read);
        assertTrue(Files.readString(file).contains("\"format\" : " + RunSettings.FORMAT), Files.readString(file));
        assertEquals(read, new RunFolder(dir).readSettings());
    }

    @Test
    void settingsWrittenByEarlierVersionsOfFormatOneReadAsWhatTheyDid() throws Exception {
        Path file = formatOne();
        String old = Files.readString(file)
                .replaceAll("\\s*\"(replicas|augment|weightDecayForm|spark)\" : [^,]*,", "");
        for (String key : new String[] {"replicas", "augment", "weightDecayForm", "spark"}) {
            assertTrue(!old.contains("\"" + key + "\""), old);
        }
        Files.writeString(file, old);
        RunSettings read = new RunFolder(dir).readSettings();
        assertEquals(Scheme.C_CONTROL, read.scheme());
        assertEquals(List.of(Augment.NONE, WeightDecay.DECOUPLED, 1), List.of(read.data().augment(),
                read.optimisation().weightDecayForm(), read.execution().replicas()),
                "one replica, no augmentation of in-memory data, decoupled decay");
    }

    /** A checkpoint written before format 2 records its run's identity in format 1; it reads as the same run. */
    @Test
    void aCheckpointOfFormatOneReadsAsTheSameRun() throws Exception {
        String identity;
        try (var in = getClass().getResourceAsStream("/format1/run.json")) {
            identity = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        Path state = dir.resolve("state.json");
        Files.writeString(state, "{\"epoch\" : 3, \"identity\" : " + identity + "}");
        Checkpoints.State read = RunJson.read(state, Checkpoints.State.class);
        assertEquals(3, read.epoch());
        assertEquals(Scheme.C_CONTROL, read.identity().scheme());
        Path settings = formatOne();
        assertEquals(new RunFolder(dir).readSettings().identity(), read.identity().identity());
        assertTrue(Files.isRegularFile(settings));
    }

    /** Format 2 had no epochs that train only the classifier, nor kept classes: it reads as none and all. */
    @Test
    void settingsOfFormatTwoReadAsTheSameRun() throws Exception {
        RunFolder run = new RunFolder(dir);
        RunSettings settings = RunSettings.builder().scheme(Scheme.C).epochs(3).build();
        run.writeSettings(settings);
        Path file = dir.resolve(RunFolder.SETTINGS);
        String two = formatThree(Files.readString(file)).replace("\"format\" : 3", "\"format\" : 2")
                .replaceAll(",\\s*\"freezeEpochs\" : 0", "").replaceAll(",\\s*\"classes\" : null", "");
        assertTrue(!two.contains("freezeEpochs") && !two.contains("\"classes\"") && two.contains("\"format\" : 2"), two);
        Files.writeString(file, two);
        assertEquals(settings, run.readSettings());
    }

    /** Settings of the current format as format 3 wrote them: no subset seed of its own, every epoch evaluated. */
    private static String formatThree(String current) {
        return current.replace("\"format\" : " + RunSettings.FORMAT, "\"format\" : 3")
                .replaceAll("\\s*\"subsetSeed\" : [0-9]+,", "").replaceAll(",\\s*\"evalEvery\" : [0-9]+", "");
    }

    /** Format 3 drew the training subset with the run's seed, and evaluated every epoch: it reads as that. */
    @Test
    void settingsOfFormatThreeReadAsTheSameRun() throws Exception {
        RunFolder run = new RunFolder(dir);
        RunSettings settings = RunSettings.builder().trainSubset(500).seed(43).epochs(3).build();
        run.writeSettings(settings);
        Path file = dir.resolve(RunFolder.SETTINGS);
        String three = formatThree(Files.readString(file));
        assertTrue(!three.contains("subsetSeed") && !three.contains("evalEvery") && three.contains("\"format\" : 3"), three);
        Files.writeString(file, three);
        RunSettings read = run.readSettings();
        assertEquals(settings, read);
        assertEquals(List.of(43L, 1L), List.of(read.data().subsetSeed(), (long) read.execution().evalEvery()));
    }

    @Test
    void settingsOfALaterFormatAreRefusedNamingTheFile() throws Exception {
        RunFolder run = new RunFolder(dir);
        run.writeSettings(RunSettings.defaults());
        Path file = dir.resolve(RunFolder.SETTINGS);
        Files.writeString(file, Files.readString(file).replace("\"format\" : " + RunSettings.FORMAT, "\"format\" : 9"));
        IllegalStateException e = assertThrows(IllegalStateException.class, run::readSettings);
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("format 9"), e.getMessage());
    }

    @Test
    void aHandEditedSettingsFileIsValidatedAndNamed() throws Exception {
        RunFolder run = new RunFolder(dir);
        run.writeSettings(RunSettings.defaults());
        Path file = dir.resolve(RunFolder.SETTINGS);
        Files.writeString(file, Files.readString(file).replace("\"epochs\" : 2", "\"epochs\" : 0"));
        IllegalStateException e = assertThrows(IllegalStateException.class, run::readSettings);
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("--epochs"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        Files.writeString(file, "{\"scheme\": \"B\", \"colour\": 3}"); // format 1, with a key it never had
        e = assertThrows(IllegalStateException.class, run::readSettings);
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void metricsKeepTheirLayoutAndRoundTrip() throws Exception {
        RunFolder run = new RunFolder(dir);
        run.startMetrics();
        EpochRecord first = new EpochRecord(new EpochMetrics(1, Double.NaN, 1.25, Double.NaN, 1.25, 1000, 12.5, 0,
                0.45, 0.85, Double.NaN), 0.1, 0.5, 0.9, Double.NaN, Double.NaN);
        EpochRecord second = new EpochRecord(new EpochMetrics(2, 0.75, 1.0, 0.5, 0.75, 1018, 11.25, 4, 0.5, 0.875,
                0.625), 0.05, 0.625, 0.875, 0.75, 0.9375);
        run.appendEpoch(first);
        run.appendEpoch(second);
        List<String> lines = Files.readAllLines(run.metricsFile());
        assertEquals("epoch,lr,teacher_ce,student_ce,distillation,loss,student_top1,student_top5,teacher_top1,"
                + "teacher_top5,seconds,images_per_second,teacher_forward_passes,student_train_top1,student_train_top5,"
                + "teacher_train_top1,images", lines.get(0));
        assertEquals("1,0.1,,1.250000,,1.250000,0.500000,0.900000,,,12.500,80.0,0,0.450000,0.850000,,1000", lines.get(1));
        assertEquals(List.of(first, second), run.readEpochs());
        // a file written before the images column: its images are its rate times its time
        Files.write(run.metricsFile(), lines.stream().map(l -> l.substring(0, l.lastIndexOf(','))).toList());
        assertEquals(List.of(1000L, 1018L), run.readEpochs().stream().map(r -> r.training().images()).toList());
        run.keepEpochsUpTo(1);
        assertEquals(List.of(first), run.readEpochs());
    }

    @Test
    void metricsAreWrittenTheSameUnderAnyLocale() throws Exception {
        java.util.Locale saved = java.util.Locale.getDefault();
        try {
            java.util.Locale.setDefault(java.util.Locale.GERMANY); // a decimal comma would split the CSV's cells
            RunFolder run = new RunFolder(dir);
            run.startMetrics();
            EpochRecord r = new EpochRecord(new EpochMetrics(1, Double.NaN, 1.25, Double.NaN, 1.25, 1000, 12.5, 0,
                    0.45, 0.85, Double.NaN), 0.1, 0.5, 0.9, Double.NaN, Double.NaN);
            run.appendEpoch(r);
            assertEquals("1,0.1,,1.250000,,1.250000,0.500000,0.900000,,,12.500,80.0,0,0.450000,0.850000,,1000",
                    Files.readAllLines(run.metricsFile()).get(1));
            assertEquals(List.of(r), run.readEpochs());
        } finally {
            java.util.Locale.setDefault(saved);
        }
    }

    @Test
    void aPrecisionWithRoundingOffStaysOff() throws Exception {
        RunFolder run = new RunFolder(dir);
        RunSettings settings = RunSettings.builder().precision(PrecisionSpec.of(2, 4).withRoundingOff()).build();
        run.writeSettings(settings);
        assertEquals(settings, run.readSettings());
    }

    @Test
    void provenanceRoundTripsBesideItsModel() throws Exception {
        RunFolder run = new RunFolder(dir);
        Path teacher = dir.resolve("teacher.zip");
        Files.writeString(teacher, "abc");
        Provenance p = Provenance.of("student.zip", everySettingSet(), 5, "00ff", teacher, null, dir);
        run.writeProvenance(p);
        assertTrue(Files.isRegularFile(dir.resolve("student.json")));
        Provenance back = run.readProvenance("student.zip");
        assertEquals(p, back);
        // SHA-256 of "abc"
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", back.inputs().teacherModelSha256());
        assertNull(back.inputs().studentInitSha256());
        assertNull(run.readProvenance("teacher.zip"));
    }
}
