package org.apprentice.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.apprentice.data.Augment;
import org.apprentice.data.DataSpec;
import org.apprentice.kd.ApprenticeLoss.Target;
import org.apprentice.kd.Scheme;
import org.apprentice.model.LayerPrecision;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.model.WeightDecay;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The one settings type: its defaults, what each scheme uses, and the refusals, each naming its flag. */
class RunSettingsTest {

    @Test
    void defaultsDependOnTheSchemeAndTheStudent() {
        RunSettings none = RunSettings.defaults();
        assertEquals(Scheme.NONE, none.scheme());
        assertEquals(PrecisionSpec.fullPrecision(), none.student().precision());
        assertNull(none.distillation().teacherName(), "scheme none has no teacher");
        assertEquals(0.1, none.optimisation().learningRate());
        assertEquals(DataSpec.FASHION_MNIST, none.data().source());
        assertEquals(Schedule.COSINE, none.optimisation().schedule());

        RunSettings c = RunSettings.builder().scheme(Scheme.C).student("resnet50").build();
        assertEquals(PrecisionSpec.of(2, 8), c.student().precision(), "ternary weights, 8-bit activations");
        assertEquals("resnet101", c.distillation().teacherName());
        assertEquals(0.01, c.optimisation().learningRate(), "scheme C fine-tunes");
        assertEquals(0.2, RunSettings.builder().scheme(Scheme.C).learningRate(0.2).build().optimisation().learningRate());
        assertEquals(0.01, RunSettings.builder().studentInit(Path.of("published.safetensors")).build().optimisation()
                .learningRate(), "a student started from a model file is fine-tuned");
        RunSettings typed = RunSettings.builder().scheme(Scheme.B).student("ResNet20").build();
        assertEquals("resnet20", typed.student().name(), "model names are stored as the registry spells them");
        assertEquals("resnet32", typed.distillation().teacherName());
    }

    @Test
    void theImageSizeDefaultsToTheDataAndTheNetworks() {
        DataSpec folder = DataSpec.parse("/data/images");
        assertEquals(32, RunSettings.builder().data(folder).student("resnet8").build().data().imageSize(),
                "small-image ResNets at their native 32x32 on a folder");
        assertEquals(224, RunSettings.builder().data(folder).student("resnet18").build().data().imageSize());
        assertEquals(28, RunSettings.builder().student("resnet20").build().data().imageSize(), "Fashion-MNIST as stored");
        assertEquals(32, RunSettings.builder().scheme(Scheme.C).student("resnet50").build().data().imageSize(),
                "raised to the 32x32 an ImageNet-shape ResNet needs");
        assertEquals(32, RunSettings.builder().scheme(Scheme.B).student("resnet8").teacher("resnet18")
                .data(DataSpec.SYNTHETIC).build().data().imageSize(), "the teacher's minimum counts too");
        assertEquals(64, RunSettings.builder().student("resnet20").imageSize(64).build().data().imageSize());
    }

    @Test
    void whatASchemeIgnoresIsResetSoTheRecordSaysWhatTheRunUsed() {
        RunSettings none = RunSettings.builder().teacher("resnet32").alpha(3).beta(0.1).temperature(4)
                .cacheTeacherLogits(true).build();
        assertEquals(RunSettings.defaults(), none);
        RunSettings control = RunSettings.builder().scheme(Scheme.C).noTeacher(true).teacher("resnet44").gamma(0.9)
                .cacheTeacherLogits(true).build();
        assertEquals(null, control.distillation().teacherName(), "scheme C's control has no teacher");
        assertEquals(RunSettings.defaults().distillation().gamma(), control.distillation().gamma());
        assertTrue(!control.execution().cacheTeacherLogits() && !control.usesTeacher());
        RunSettings b = RunSettings.builder().scheme(Scheme.B).alpha(3).temperature(4).augment(Augment.NONE)
                .cacheTeacherLogits(true).build();
        assertEquals(1.0, b.distillation().alpha(), "alpha weighs scheme A's teacher only");
        assertEquals(4.0, b.distillation().temperature());
        assertTrue(b.execution().cacheTeacherLogits());
        assertEquals(3.0, RunSettings.builder().scheme(Scheme.A).alpha(3).build().distillation().alpha());
        // the teacher's logits are kept only where a frozen teacher runs on every minibatch
        assertEquals(RunSettings.defaults(), RunSettings.builder().teacherLogitsStore(Path.of("store")).build());
        assertEquals(null, b.toBuilder().teacherLogitsStore(Path.of("store")).build().execution().teacherLogitsStore(),
                "with --cache-teacher-logits the teacher runs once, and there is nothing to keep");
        RunSettings stored = RunSettings.builder().scheme(Scheme.B).teacherLogitsStore(Path.of("store")).build();
        assertEquals(Path.of("store"), stored.execution().teacherLogitsStore());
        assertEquals(stored, stored.toBuilder().build());
        assertEquals(RunSettings.builder().scheme(Scheme.B).build().identity(), stored.identity(),
                "keeping the logits changes no number, so it is not part of the run's identity");
    }

    static Stream<Arguments> refusals() {
        return Stream.of(
                refused("--epochs", b -> b.epochs(0)),
                refused("--batch", b -> b.batch(-1)),
                refused("--lr", b -> b.learningRate(-1.0)),
                refused("--lr", b -> b.learningRate(Double.NaN)),
                refused("--wd", b -> b.weightDecay(-1)),
                refused("--alpha", b -> b.alpha(-1)), // checked although scheme none then ignores it
                refused("--beta", b -> b.scheme(Scheme.B).beta(-0.5)),
                refused("--temperature", b -> b.scheme(Scheme.B).temperature(0)),
                refused("--train-subset", b -> b.trainSubset(-5)),
                refused("--stop-after-epoch", b -> b.stopAfterEpoch(-1)),
                refused("--stop-after-epoch 5 is past --epochs 2", b -> b.stopAfterEpoch(5)),
                refused("--width", b -> b.studentWidth(0)),
                refused("--workers", b -> b.workers(0)),
                refused("--replicas", b -> b.replicas(0)),
                refused("--batch 100 does not split into --replicas 3", b -> b.batch(100).replicas(3)),
                refused("--replicas 2 is not available for scheme A", b -> b.scheme(Scheme.A).replicas(2)),
                refused("--spark 'local[2]': Spark's workers are the replicas", b -> b.spark("local[2]").replicas(2)),
                refused("--spark 'local[2]': not available for scheme A", b -> b.scheme(Scheme.A).spark("local[2]")),
                refused("--spark ' ': give a master", b -> b.spark(" ")),
                refused("--no-teacher is scheme C's control", b -> b.scheme(Scheme.B).noTeacher(true)),
                refused("--teacher-model with --no-teacher", b -> b.scheme(Scheme.C).noTeacher(true)
                        .teacherModel(Path.of("t.zip"))),
                refused("--cache-teacher-logits needs --augment none", b -> b.scheme(Scheme.B).cacheTeacherLogits(true)),
                refused("--teacher-logits-store keeps the minibatches of one network trained in this JVM", b ->
                        b.scheme(Scheme.B).teacherLogitsStore(Path.of("store")).batch(64).replicas(2)),
                refused("--ui-port", b -> b.ui(true).uiPort(70000)),
                refused("unknown model 'resnet19'", b -> b.student("resnet19")),
                refused("unknown model 'vgg'", b -> b.scheme(Scheme.B).teacher("vgg")),
                refused("--beta and --gamma are both 0", b -> b.scheme(Scheme.A).beta(0).gamma(0)),
                refused("--teacher-model is for schemes B and C", b -> b.teacherModel(Path.of("t.zip"))),
                refused("scheme A trains its teacher from scratch", b -> b.scheme(Scheme.A).teacherModel(Path.of("t.zip"))),
                refused("scheme B trains its student from scratch", b -> b.scheme(Scheme.B).studentInit(Path.of("s.zip"))),
                refused("is scheme C's control: --scheme C-control", b -> b.studentInit(Path.of("s.zip"))
                        .precisionFlags(f -> f.withBits(2))),
                refused("--freeze-epochs trains only the classifier of a full-precision student started from a model "
                        + "file", b -> b.freezeEpochs(1)),
                refused("--freeze-epochs 2 leaves no epoch of --epochs 2", b -> b.studentInit(Path.of("s.zip"))
                        .freezeEpochs(2)),
                refused("--freeze-epochs is not available with --replicas", b -> b.studentInit(Path.of("s.zip"))
                        .freezeEpochs(1).epochs(3).replicas(2)),
                refused("--resume needs --out", b -> b.resume(true)));
    }

    private static Arguments refused(String message, UnaryOperator<RunSettings.Builder> change) {
        return Arguments.of(message, change);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void badValuesAreRefusedInOneLineNamingTheFlag(String message, UnaryOperator<RunSettings.Builder> change) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> change.apply(RunSettings.builder()).build());
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    @Test
    void theIdentityLeavesOutWhereAndHowARunRuns() {
        RunSettings run = RunSettings.builder().scheme(Scheme.B).out(Path.of("runs/x")).resume(true).workers(8)
                .replicas(4).ui(true).stopAfterEpoch(1).augment(Augment.NONE).cacheTeacherLogits(true).build();
        assertEquals(RunSettings.builder().scheme(Scheme.B).augment(Augment.NONE).build(), run.identity());
        RunSettings otherSeed = run.toBuilder().seed(7).build();
        assertTrue(!otherSeed.identity().equals(run.identity()));
    }

    @Test
    void toBuilderKeepsEverySetting() throws Exception {
        // no one run can set everything (scheme A alone keeps alpha, B and C alone cache teacher logits, C's control
        // alone has no teacher), so three runs, which between them move every setting off its default
        RunSettings c = RunSettings.builder().scheme(Scheme.C).student("resnet8").studentWidth(0.5)
                .precision(PrecisionSpec.of(4, 4).withQuantizedEnds(true, false)
                        .withOverride("layer1.0.conv1", new LayerPrecision(32, 8)))
                .teacher("resnet32").teacherWidth(2.0).teacherModel(Path.of("t.zip")).studentInit(Path.of("s.zip"))
                .data(DataSpec.parse("cifar10:datasets/cifar10")).trainSubset(100).imageSize(32).workers(3)
                .replicas(2).skipBadImages(true).epochs(5).pretrainEpochs(7).batch(16).learningRate(0.02).schedule(Schedule.STEP).weightDecay(5e-4)
                .beta(0.25).gamma(0.75).temperature(2).target(Target.LOGITS).augment(Augment.NONE)
                .weightDecayForm(WeightDecay.DECOUPLED).cacheTeacherLogits(true).seed(9)
                .out(Path.of("runs/all")).resume(true).stopAfterEpoch(2).ui(true).uiPort(9001).build();
        RunSettings a = c.toBuilder().scheme(Scheme.A).teacherModel(null).studentInit(null).cacheTeacherLogits(false)
                .replicas(1).alpha(0.6).build();
        RunSettings control = c.toBuilder().noTeacher(true).teacher(null).teacherModel(null).replicas(1)
                .spark("local[2]").uiPort(0).build();
        List<RunSettings> runs = List.of(c, a, control);
        for (RunSettings run : runs) {
            assertEquals(run, run.toBuilder().build());
        }
        RunSettings defaults = RunSettings.builder().build();
        for (java.lang.reflect.RecordComponent setting : RunSettings.class.getRecordComponents()) {
            Object byDefault = setting.getAccessor().invoke(defaults);
            boolean moved = false;
            for (RunSettings run : runs) {
                moved |= !java.util.Objects.equals(setting.getAccessor().invoke(run), byDefault);
            }
            assertTrue(moved, setting.getName() + " keeps its default in every run, so toBuilder could drop it unseen");
        }
    }
}
