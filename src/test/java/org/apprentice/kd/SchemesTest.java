package org.apprentice.kd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apprentice.data.SyntheticImages;
import org.apprentice.eval.Accuracy;
import org.apprentice.model.InputShape;
import org.apprentice.model.ModelFiles;
import org.apprentice.model.OutputHead;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.model.ResNetBuilder;
import org.apprentice.model.ResNetConfig;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.learning.config.Nesterovs;

/** The three schemes and the control on a tiny synthetic dataset: what each must (not) change, export. */
class SchemesTest {
    private static final InputShape SHAPE = new InputShape(1, 12, 12);
    private static final int CLASSES = 3;
    private static final DataSet TRAIN = SyntheticImages.generate(SHAPE, CLASSES, 48, 1);
    private static final DataSet TEST = SyntheticImages.generate(SHAPE, CLASSES, 24, 2);

    @TempDir
    Path dir;

    private static DataSetIterator train() {
        return SyntheticImages.iterator(TRAIN, 16);
    }

    private static DataSetIterator test() {
        return SyntheticImages.iterator(TEST, 16);
    }

    private static ResNetConfig teacherConfig() {
        return ResNetConfig.of("resnet8", CLASSES, SHAPE).withWidthMultiplier(0.5).withSeed(11)
                .withUpdater(new Nesterovs(0.05, 0.9), 1e-4);
    }

    private static ResNetConfig fpStudentConfig() {
        return ResNetConfig.of("resnet8", CLASSES, SHAPE).withWidthMultiplier(0.25).withSeed(12)
                .withUpdater(new Nesterovs(0.05, 0.9), 1e-4);
    }

    private static ResNetConfig lowStudentConfig() {
        return fpStudentConfig().withPrecision(PrecisionSpec.of(2, 4));
    }

    private static OutputHead apprenticeHead() {
        return Heads.apprentice(new ApprenticeLoss());
    }

    /** Trains a full-precision model without teacher and saves it. */
    private File trainedFullPrecision(ResNetConfig config, String name, int epochs) throws Exception {
        ComputationGraph net = ResNetBuilder.build(config);
        ApprenticeTrainer trainer = ApprenticeTrainer.withoutTeacher(net);
        for (int e = 0; e < epochs; e++) {
            trainer.trainEpoch(e, train());
        }
        File zip = dir.resolve(name + ".zip").toFile();
        ModelFiles.save(net, config, zip);
        return zip;
    }

    /** The student zip reloads and evaluates to exactly the accuracy reported before saving. */
    private void assertExportRoundTrip(ComputationGraph student, ResNetConfig config, String name) throws Exception {
        Accuracy reported = Accuracy.of(student, test(), CLASSES);
        File zip = dir.resolve(name + ".zip").toFile();
        ModelFiles.save(student, config, zip);
        ComputationGraph reloaded = ModelSerializer.restoreComputationGraph(zip, true);
        assertEquals(reported, Accuracy.of(reloaded, test(), CLASSES), name);
        assertEquals(24, reported.examples());
    }

    @Test
    void schemeATrainsBothAndTheTeacherExactlyAsIfAlone() throws Exception {
        double alpha = 1.0;
        ComputationGraph teacher = ResNetBuilder.build(teacherConfig(), Heads.teacher(alpha, CLASSES));
        ComputationGraph alone = ResNetBuilder.build(teacherConfig(), Heads.teacher(alpha, CLASSES));
        assertEquals(teacher.params(), alone.params());
        ComputationGraph student = ResNetBuilder.build(lowStudentConfig(), apprenticeHead());
        INDArray teacherStart = teacher.params().dup();
        INDArray studentStart = student.params().dup();

        ApprenticeTrainer trainer = ApprenticeTrainer.jointly(teacher, student);
        org.apprentice.kd.EpochMetrics m = trainer.trainEpoch(0, train());
        DataSetIterator it = train();
        while (it.hasNext()) {
            DataSet b = it.next();
            alone.fit(new INDArray[] {b.getFeatures()}, new INDArray[] {b.getLabels()});
        }
        assertNotEquals(teacherStart, teacher.params());
        assertNotEquals(studentStart, student.params());
        assertEquals(alone.params(), teacher.params(), "the distillation term leaked into the teacher");
        assertEquals(3, m.teacherForwardPasses(), "one teacher forward per minibatch");
        assertTrue(m.teacherCrossEntropy() > 0 && m.studentCrossEntropy() > 0 && m.distillation() > 0, m.toString());
        assertEquals(48, m.images());
        assertExportRoundTrip(student, lowStudentConfig(), "scheme-a");
    }

    @Test
    void schemeBLeavesTheTeacherBitIdentical() throws Exception {
        File teacherZip = trainedFullPrecision(teacherConfig(), "teacher", 1);
        ComputationGraph teacher = ModelFiles.loadTeacher(teacherZip, lowStudentConfig(), null, null);
        ComputationGraph student = ResNetBuilder.build(lowStudentConfig(), apprenticeHead());
        INDArray studentStart = student.params().dup();
        ApprenticeTrainer trainer = ApprenticeTrainer.fromTrainedTeacher(Scheme.B, teacher, student);
        trainer.trainEpoch(0, train());
        trainer.trainEpoch(1, train());
        ComputationGraph fromFile = ModelSerializer.restoreComputationGraph(teacherZip, false);
        assertEquals(fromFile.params(), teacher.params());
        assertNotEquals(studentStart, student.params());
        assertExportRoundTrip(student, lowStudentConfig(), "scheme-b");
    }

    /** A scheme-B student trained for two epochs from the fixed initial weights, with the given teacher and loss. */
    private ComputationGraph schemeB(File teacherZip, ApprenticeLoss loss) {
        ComputationGraph student = ResNetBuilder.build(lowStudentConfig(), Heads.apprentice(loss));
        ApprenticeTrainer trainer = ApprenticeTrainer.fromTrainedTeacher(Scheme.B,
                ModelFiles.loadTeacher(teacherZip, lowStudentConfig(), null, null), student);
        trainer.trainEpoch(0, train());
        trainer.trainEpoch(1, train());
        return student;
    }

    /** Mean cross-entropy of the student's softmax against the teacher's, over the training set. */
    private static double crossEntropyToTeacher(ComputationGraph student, ComputationGraph teacher) {
        INDArray p = ApprenticeLoss.softmax(ApprenticeTrainer.teacherLogits(teacher, TRAIN.getFeatures()));
        INDArray logQ = ApprenticeLoss.logSoftmax(ApprenticeTrainer.teacherLogits(student, TRAIN.getFeatures()));
        return -p.mul(logQ).sumNumber().doubleValue() / TRAIN.numExamples();
    }

    @Test
    void schemeBStudentsFollowTheirTeachersLogitsAndOnlyThroughTheDistillationTerm() throws Exception {
        File teacherOne = trainedFullPrecision(teacherConfig(), "teacher-1", 1);
        File teacherTwo = trainedFullPrecision(teacherConfig().withSeed(21), "teacher-2", 1);
        // without the distillation term the teacher cannot matter: two teachers, bit-identical students
        ApprenticeLoss labelsOnly = new ApprenticeLoss(1.0, 0.0, 1.0, ApprenticeLoss.Target.SOFTMAX);
        assertEquals(schemeB(teacherOne, labelsOnly).params(), schemeB(teacherTwo, labelsOnly).params());
        // with it (the paper's beta = gamma = 0.5), each teacher gives its own student
        ComputationGraph fromOne = schemeB(teacherOne, new ApprenticeLoss());
        ComputationGraph fromTwo = schemeB(teacherTwo, new ApprenticeLoss());
        assertNotEquals(fromOne.params(), fromTwo.params());

        // against the no-teacher control from the same initial weights and minibatches: distillation pulls
        // the student's outputs towards its teacher's, the control's are left where the labels put them
        ComputationGraph control = ResNetBuilder.build(lowStudentConfig());
        assertEquals(control.params(), ResNetBuilder.build(lowStudentConfig(), apprenticeHead()).params());
        ApprenticeTrainer plain = ApprenticeTrainer.withoutTeacher(control);
        plain.trainEpoch(0, train());
        plain.trainEpoch(1, train());
        ComputationGraph distilled = schemeB(teacherOne, new ApprenticeLoss(0.0, 1.0, 1.0, ApprenticeLoss.Target.SOFTMAX));
        ComputationGraph teacher = ModelFiles.load(teacherOne, "teacher");
        double toTeacherDistilled = crossEntropyToTeacher(distilled, teacher);
        double toTeacherControl = crossEntropyToTeacher(control, teacher);
        assertTrue(toTeacherDistilled < toTeacherControl, "cross-entropy to the teacher: distilled "
                + toTeacherDistilled + ", control " + toTeacherControl);
    }

    @Test
    void storedTeacherLogitsAreReadWhereTheImagesMatchAndChangeNothing() throws Exception {
        File teacherZip = trainedFullPrecision(teacherConfig(), "teacher", 1);
        DataSet[] epochs = {TRAIN, SyntheticImages.generate(SHAPE, CLASSES, 48, 3)}; // other images each epoch
        TeacherLogitsStore.Key key = new TeacherLogitsStore.Key("teacher", "data", 1, 16, "CROP_FLIP", 12, "FLOAT",
                "code", "machine", 1);
        TeacherLogitsStore store = TeacherLogitsStore.open(dir.resolve("store"), key);
        ComputationGraph plainStudent = ResNetBuilder.build(lowStudentConfig(), apprenticeHead());
        ComputationGraph firstStudent = ResNetBuilder.build(lowStudentConfig(), apprenticeHead());
        ComputationGraph laterStudent = ResNetBuilder.build(lowStudentConfig(), apprenticeHead());
        ApprenticeTrainer plain = ApprenticeTrainer.fromTrainedTeacher(Scheme.B,
                ModelFiles.loadTeacher(teacherZip, lowStudentConfig(), null, null), plainStudent);
        ApprenticeTrainer first = ApprenticeTrainer.fromStoredTeacherLogits(Scheme.B,
                ModelFiles.loadTeacher(teacherZip, lowStudentConfig(), null, null), firstStudent, store);
        for (int epoch = 0; epoch < 2; epoch++) {
            assertEquals(3, plain.trainEpoch(epoch, SyntheticImages.iterator(epochs[epoch], 16)).teacherForwardPasses());
            assertEquals(3, first.trainEpoch(epoch, SyntheticImages.iterator(epochs[epoch], 16)).teacherForwardPasses(),
                    "nothing kept yet: the teacher runs, and its logits are kept");
        }
        assertTrue(Files.isRegularFile(store.folder().resolve("epoch-1.logits")));
        assertTrue(Files.readString(store.folder().resolve("key.json")).contains("\"seed\" : 1"));
        // a later run with the same key reads them: no teacher pass, the same numbers to the bit
        ApprenticeTrainer later = ApprenticeTrainer.fromStoredTeacherLogits(Scheme.B,
                ModelFiles.loadTeacher(teacherZip, lowStudentConfig(), null, null), laterStudent,
                TeacherLogitsStore.open(dir.resolve("store"), key));
        for (int epoch = 0; epoch < 2; epoch++) {
            assertEquals(0, later.trainEpoch(epoch, SyntheticImages.iterator(epochs[epoch], 16)).teacherForwardPasses());
        }
        assertEquals(plainStudent.params(), firstStudent.params());
        assertEquals(plainStudent.params(), laterStudent.params());

        // other images under the same key (a stream the key failed to tell apart): every minibatch's digest differs,
        // so the teacher runs on each; a kept file that cannot be read counts as absent
        Files.write(store.folder().resolve("epoch-1.logits"), new byte[] {1, 2, 3});
        ComputationGraph swappedStudent = ResNetBuilder.build(lowStudentConfig(), apprenticeHead());
        ComputationGraph swappedPlain = ResNetBuilder.build(lowStudentConfig(), apprenticeHead());
        ApprenticeTrainer swapped = ApprenticeTrainer.fromStoredTeacherLogits(Scheme.B,
                ModelFiles.loadTeacher(teacherZip, lowStudentConfig(), null, null), swappedStudent,
                TeacherLogitsStore.open(dir.resolve("store"), key));
        ApprenticeTrainer reference = ApprenticeTrainer.fromTrainedTeacher(Scheme.B,
                ModelFiles.loadTeacher(teacherZip, lowStudentConfig(), null, null), swappedPlain);
        for (int epoch = 0; epoch < 2; epoch++) {
            assertEquals(3, swapped.trainEpoch(epoch, SyntheticImages.iterator(epochs[1 - epoch], 16))
                    .teacherForwardPasses(), "epoch " + epoch);
            reference.trainEpoch(epoch, SyntheticImages.iterator(epochs[1 - epoch], 16));
        }
        assertEquals(swappedPlain.params(), swappedStudent.params());
        assertEquals(3, store.read(0).size(), "epoch 0's file now holds what this run's teacher computed");
    }

    @Test
    void cachedTeacherLogitsSkipTheTeacherAndChangeNothing() throws Exception {
        File teacherZip = trainedFullPrecision(teacherConfig(), "teacher", 1);
        ComputationGraph teacher = ModelFiles.loadTeacher(teacherZip, lowStudentConfig(), null, null);
        ComputationGraph cachedStudent = ResNetBuilder.build(lowStudentConfig(), apprenticeHead());
        ComputationGraph plainStudent = ResNetBuilder.build(lowStudentConfig(), apprenticeHead());
        ApprenticeTrainer cached = ApprenticeTrainer.fromCachedTeacherLogits(Scheme.B, cachedStudent);
        ApprenticeTrainer plain = ApprenticeTrainer.fromTrainedTeacher(Scheme.B,
                ModelFiles.loadTeacher(teacherZip, lowStudentConfig(), null, null), plainStudent);
        DataSet withLogits = ApprenticeTrainer.withTeacherLogits(TRAIN, teacher, 16);
        assertEquals(2 * CLASSES, withLogits.getLabels().size(1));
        for (int epoch = 0; epoch < 2; epoch++) {
            assertEquals(0, cached.trainEpoch(epoch, SyntheticImages.iterator(withLogits, 16)).teacherForwardPasses());
            assertEquals(3, plain.trainEpoch(epoch, train()).teacherForwardPasses());
        }
        assertEquals(plainStudent.params(), cachedStudent.params());
        // a trainer told the logits are cached refuses minibatches that do not carry them
        ApprenticeTrainer uncached = ApprenticeTrainer.fromCachedTeacherLogits(Scheme.B,
                ResNetBuilder.build(lowStudentConfig(), apprenticeHead()));
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> uncached.trainEpoch(0, train()));
        assertTrue(e.getMessage().contains("cached teacher logits expected"), e.getMessage());
        // and one told to run the frozen teacher refuses labels that already carry logits, naming the cached trainer
        ApprenticeTrainer frozen = ApprenticeTrainer.fromTrainedTeacher(Scheme.B, teacher,
                ResNetBuilder.build(lowStudentConfig(), apprenticeHead()));
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> frozen.trainEpoch(0, SyntheticImages.iterator(withLogits, 16)));
        assertTrue(e.getMessage().contains("fromCachedTeacherLogits"), e.getMessage());
    }

    @Test
    void schemeCStartsFromTheLoadedFullPrecisionWeights() throws Exception {
        File teacherZip = trainedFullPrecision(teacherConfig(), "teacher", 1);
        File fpStudentZip = trainedFullPrecision(fpStudentConfig(), "fp-student", 1);
        ComputationGraph fp = ModelFiles.load(fpStudentZip, "student");
        ComputationGraph student = ModelFiles.lowerPrecision(fp, fpStudentZip, lowStudentConfig(), apprenticeHead());
        assertEquals(fp.params(), student.params(), "step 0: the loaded weights, batch-norm statistics included");
        assertTrue(org.apprentice.quant.WeightQuantization.of(student.getLayer("layer1.0.conv1").conf().getLayer()) != null);
        ApprenticeTrainer trainer = ApprenticeTrainer.fromTrainedTeacher(Scheme.C,
                ModelFiles.loadTeacher(teacherZip, lowStudentConfig(), null, null), student);
        trainer.trainEpoch(0, train());
        assertNotEquals(fp.params(), student.params());
        assertExportRoundTrip(student, lowStudentConfig(), "scheme-c");
    }

    @Test
    void noDistillationControlTrainsAndExports() throws Exception {
        ComputationGraph student = ResNetBuilder.build(lowStudentConfig());
        ApprenticeTrainer trainer = ApprenticeTrainer.withoutTeacher(student);
        org.apprentice.kd.EpochMetrics m = trainer.trainEpoch(0, train());
        assertTrue(Double.isNaN(m.distillation()) && m.studentCrossEntropy() > 0);
        assertExportRoundTrip(student, lowStudentConfig(), "none");
    }

    @Test
    void unsuitableTeachersAreRefusedNamingTheFile() throws Exception {
        File lowPrecision = dir.resolve("low.zip").toFile();
        ModelFiles.save(ResNetBuilder.build(lowStudentConfig()), lowStudentConfig(), lowPrecision);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelFiles.loadTeacher(lowPrecision, lowStudentConfig(), null, null));
        assertTrue(e.getMessage().contains(lowPrecision.toString()) && e.getMessage().contains("low precision"), e.getMessage());

        File otherClasses = dir.resolve("ten.zip").toFile();
        ResNetConfig ten = ResNetConfig.of("resnet8", 10, SHAPE).withWidthMultiplier(0.25);
        ModelFiles.save(ResNetBuilder.build(ten), ten, otherClasses);
        e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.loadTeacher(otherClasses, lowStudentConfig(), null, null));
        assertTrue(e.getMessage().contains("10 classes"), e.getMessage());

        File otherInput = dir.resolve("big.zip").toFile();
        ResNetConfig big = ResNetConfig.of("resnet8", CLASSES, new InputShape(1, 16, 16)).withWidthMultiplier(0.25);
        ModelFiles.save(ResNetBuilder.build(big), big, otherInput);
        e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.loadTeacher(otherInput, lowStudentConfig(), null, null));
        assertTrue(e.getMessage().contains("1x16x16") && e.getMessage().contains("1x12x12"), e.getMessage());

        File garbage = dir.resolve("garbage.zip").toFile();
        Files.writeString(garbage.toPath(), "not a model");
        e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.loadTeacher(garbage, lowStudentConfig(), null, null));
        assertTrue(e.getMessage().contains(garbage.toString()) && e.getMessage().contains("not a DL4J ComputationGraph"),
                e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void distillationSchemesNeedTheApprenticeHead() {
        ComputationGraph teacher = ResNetBuilder.build(teacherConfig());
        ComputationGraph plain = ResNetBuilder.build(lowStudentConfig());
        assertThrows(IllegalArgumentException.class,
                () -> ApprenticeTrainer.fromTrainedTeacher(Scheme.B, teacher, plain));
        assertEquals(Scheme.C, Scheme.parse("c"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Scheme.parse("D"));
        assertTrue(e.getMessage().contains("none, A, B, C"), e.getMessage());
    }
}
