package org.apprentice.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apprentice.io.Sha256;
import org.apprentice.model.ModelFiles;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.train.EpochRecord;
import org.apprentice.train.Provenance;
import org.apprentice.train.RunFolder;
import org.apprentice.train.RunSettings;
import org.apprentice.train.Schedule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code apprentice train} end to end on the synthetic set: every scheme writes its models and metrics. */
class TrainCommandTest {
    @TempDir
    Path dir;

    private String savedHome;

    /** The model store and default run folders go to a temporary project home. */
    @org.junit.jupiter.api.BeforeEach
    void temporaryHome() {
        savedHome = System.getProperty("apprentice.home");
        System.setProperty("apprentice.home", dir.resolve("home").toString());
    }

    @org.junit.jupiter.api.AfterEach
    void restoreHome() {
        if (savedHome == null) {
            System.clearProperty("apprentice.home");
        } else {
            System.setProperty("apprentice.home", savedHome);
        }
    }

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    /** Runs train with small defaults (synthetic data, resnet8, one epoch) that the given flags override. */
    private int train(String... args) {
        out.reset();
        err.reset();
        java.util.List<String> given = java.util.Arrays.asList(args);
        java.util.List<String> all = new java.util.ArrayList<>(List.of("train"));
        String[][] defaults = {{"--data", "synthetic"}, {"--train-subset", "64"}, {"--epochs", "1"}, {"--batch", "32"},
                {"--student", "resnet8"}};
        for (String[] d : defaults) {
            if (!given.contains(d[0])) {
                all.addAll(List.of(d));
            }
        }
        all.addAll(given);
        return Main.run(all.toArray(new String[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void everySchemeRunsFromTheCommandLine() throws Exception {
        Path teacher = dir.resolve("teacher");
        assertEquals(0, train("--width", "0.5", "--out", teacher.toString()), err.toString());
        Path fpStudent = dir.resolve("fp-student");
        assertEquals(0, train("--width", "0.25", "--out", fpStudent.toString()), err.toString());
        assertTrue(out().contains("scheme none (no distillation): student resnet8 fp32"), out());

        Path a = dir.resolve("a");
        assertEquals(0, train("--scheme", "A", "--width", "0.25", "--teacher", "resnet8", "--teacher-width", "0.5",
                "--bits", "2", "--act-bits", "4", "--out", a.toString()), err.toString());
        assertTrue(out().contains("teacher CE") && out().contains("distillation"), out());
        assertTrue(Files.isRegularFile(a.resolve("student.zip")) && Files.isRegularFile(a.resolve("teacher.zip")));
        for (String file : new String[] {"loss.png", "accuracy.png", "student.json", "teacher.json", "latest"}) {
            assertTrue(Files.isRegularFile(a.resolve(file)), file);
        }
        assertTrue(javax.imageio.ImageIO.read(a.resolve("accuracy.png").toFile()).getWidth() == 720);
        // not a terminal: plain progress lines with throughput and ETA
        assertTrue(out().matches("(?s).*epoch 1/1: \\d+% \\(\\d+/64 images, \\d+ img/s, ETA \\d+ s\\).*"), out());

        Path b = dir.resolve("b");
        assertEquals(0, train("--scheme", "B", "--width", "0.25", "--teacher", "resnet8", "--cache-teacher-logits", "--augment", "none",
                "--teacher-model", teacher.resolve("student.zip").toString(), "--out", b.toString()), err.toString());
        assertTrue(out().contains("teacher logits computed once for 64 training images"), out());
        assertEquals(0.5, new RunFolder(b).readSettings().distillation().teacherWidth(), "the width recorded in the teacher's zip");
        assertEquals(Main.USAGE_ERROR, train("--scheme", "B", "--width", "0.25", "--teacher", "resnet20",
                "--teacher-model", teacher.resolve("student.zip").toString(), "--out", dir.resolve("b-bad").toString()));
        assertTrue(err.toString().contains("is a resnet8 x0.5, but the run's --teacher is resnet20 x1.0"), err.toString());
        // no --teacher: the architecture comes from the file
        assertEquals(0, train("--scheme", "B", "--width", "0.25", "--teacher-model", teacher.resolve("student.zip").toString(),
                "--out", dir.resolve("b-file").toString()), err.toString());
        assertTrue(out().contains(", teacher resnet8"), out());

        Path c = dir.resolve("c");
        assertEquals(0, train("--scheme", "C", "--width", "0.25", "--teacher", "resnet8",
                "--teacher-model", teacher.resolve("student.zip").toString(),
                "--student-init", fpStudent.resolve("student.zip").toString(), "--out", c.toString()), err.toString());
        assertTrue(out().contains("student resnet8 w2a8"), out());
        List<String> csv = Files.readAllLines(c.resolve("metrics.csv"));
        assertEquals(2, csv.size());
        assertTrue(csv.get(0).startsWith("epoch,lr,teacher_ce,student_ce,distillation,loss,student_top1"));
        assertTrue(csv.get(1).startsWith("1,0.01,"), "scheme C fine-tunes at a smaller learning rate: " + csv.get(1));

        Path control = dir.resolve("c-control");
        assertEquals(0, train("--scheme", "C", "--no-teacher", "--width", "0.25",
                "--student-init", fpStudent.resolve("student.zip").toString(), "--out", control.toString()),
                err.toString());
        assertTrue(out().contains("scheme C-control (lower a trained model, then fine-tune without a teacher: scheme C's "
                + "control): student resnet8 w2a8,") && !out().contains("distillation "), out());
        assertEquals(fpStudent.resolve("student.zip"),
                new RunFolder(control).readProvenance("student.zip").inputs().studentInit());

        Path replicated = dir.resolve("c-replicas");
        assertEquals(0, train("--scheme", "C", "--width", "0.25", "--teacher", "resnet8", "--replicas", "2",
                "--teacher-model", teacher.resolve("student.zip").toString(),
                "--student-init", fpStudent.resolve("student.zip").toString(), "--out", replicated.toString()),
                err.toString());
        assertTrue(out().contains("2 data-parallel replicas of the student, 16 images each per step of 32"), out());
        assertTrue(out().matches("(?s).*epoch 1/1: 100% \\(64/64 images.*"), "every image measured once: " + out());
        assertEquals(2, new RunFolder(replicated).readSettings().execution().replicas());
        assertTrue(Files.isRegularFile(replicated.resolve("student.zip")));
    }

    @Test
    void aTeachersLogitsKeptByOneRunAreReadByTheNextThatShowsItTheSameMinibatches() throws Exception {
        Path teacher = dir.resolve("teacher");
        assertEquals(0, train("--width", "0.5", "--out", teacher.toString()), err.toString());
        Path store = dir.resolve("store");
        String[] b = {"--scheme", "B", "--width", "0.25", "--teacher-model", teacher.resolve("student.zip").toString(),
                "--augment", "crop-flip", "--epochs", "2"};
        assertEquals(0, train(concat(b, "--out", dir.resolve("plain").toString())), err.toString());
        assertEquals(0, train(concat(b, "--teacher-logits-store", store.toString(), "--out", dir.resolve("first").toString())),
                err.toString());
        assertTrue(out().contains("the teacher's logits are kept in " + store), out());
        // another temperature shows the teacher the same minibatches: its logits are read, not computed
        assertEquals(0, train(concat(b, "--teacher-logits-store", store.toString(), "--temperature", "4", "--out",
                dir.resolve("later").toString())), err.toString());
        assertEquals(List.of(2L, 2L), teacherPasses(dir.resolve("first")));
        assertEquals(List.of(0L, 0L), teacherPasses(dir.resolve("later")));
        assertEquals(top1(dir.resolve("plain")), top1(dir.resolve("first")));
        assertEquals(ModelFiles.load(dir.resolve("plain/student.zip").toFile(), "m").params(),
                ModelFiles.load(dir.resolve("first/student.zip").toFile(), "m").params(), "the store changes no number");
        assertEquals(0, train(concat(b, "--temperature", "4", "--out", dir.resolve("later-plain").toString())), err.toString());
        assertEquals(ModelFiles.load(dir.resolve("later-plain/student.zip").toFile(), "m").params(),
                ModelFiles.load(dir.resolve("later/student.zip").toFile(), "m").params(), "read logits change no number");
        // another seed: other minibatches, another key, so the teacher runs
        assertEquals(0, train(concat(b, "--teacher-logits-store", store.toString(), "--seed", "7", "--out",
                dir.resolve("seed7").toString())), err.toString());
        assertEquals(List.of(2L, 2L), teacherPasses(dir.resolve("seed7")));
        assertEquals(Main.USAGE_ERROR, train(concat(b, "--teacher-logits-store", store.toString(), "--replicas", "2",
                "--out", dir.resolve("replicas").toString())));
        assertEquals("apprentice: --teacher-logits-store keeps the minibatches of one network trained in this JVM: not "
                + "available with --replicas or --spark", err.toString().strip());
        Path aFile = Files.writeString(dir.resolve("a-file"), "not a folder");
        assertEquals(Main.USAGE_ERROR, train(concat(b, "--teacher-logits-store", aFile.toString(), "--out",
                dir.resolve("not-a-folder").toString())));
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        assertTrue(err.toString().startsWith("apprentice: --teacher-logits-store " + aFile + " cannot be written: "),
                err.toString());
        assertEquals("not a folder", Files.readString(aFile), "nothing it held is lost");
    }

    /** The teacher's forward passes of each epoch of a run, as its metrics record them. */
    private static List<Long> teacherPasses(Path run) {
        return new RunFolder(run).readEpochs().stream().map(e -> e.training().teacherForwardPasses()).toList();
    }

    /** The test top-1 of each epoch of a run, as its metrics record it. */
    private static List<Double> top1(Path run) {
        return new RunFolder(run).readEpochs().stream().map(EpochRecord::studentTop1).toList();
    }

    @Test
    void learnedQuantizersTrainRecordExportAndEvaluateFromTheCommandLine() throws Exception {
        Path run = dir.resolve("ttq");
        assertEquals(0, train("--width", "0.25", "--bits", "2", "--act-bits", "4", "--weights", "ttq", "--activations",
                "pact", "--out", run.toString()), err.toString());
        assertTrue(out().contains("student resnet8 w2a4 ttq/pact"), out());
        RunSettings settings = new RunFolder(run).readSettings();
        assertEquals(org.apprentice.quant.WeightMethod.TTQ, settings.student().precision().weights());
        assertEquals(org.apprentice.quant.ActivationMethod.PACT, settings.student().precision().activations());
        String reported = out().lines().filter(l -> l.startsWith("student: ")).findFirst().orElseThrow();
        String accuracy = reported.substring("student: ".length(), reported.indexOf(" ->"));
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        assertEquals(0, Main.run(new String[] {"export", "--model", run.resolve("student.zip").toString()}, o, e), err.toString());
        assertTrue(out().contains("ttq") && Files.isRegularFile(run.resolve("student.onnx")), out());
        for (Path model : List.of(run.resolve("student-deploy.zip"), run.resolve("student.packed"))) {
            out.reset();
            // at the batch the run evaluated with (max(--batch, 64)): the same minibatches, so the same kernels and sums
            assertEquals(0, Main.run(new String[] {"eval", "--model", model.toString(), "--data", "synthetic", "--batch",
                    "64"}, o, e),
                    err.toString());
            assertTrue(out().contains(accuracy), model + ": " + out() + " vs " + accuracy);
        }
        assertEquals(0, train("--width", "0.25", "--bits", "2", "--act-bits", "4", "--weights", "lsq", "--activations",
                "lsq", "--epochs", "1"), err.toString());
        try (var runs = Files.list(dir.resolve("home").resolve("runs"))) {
            List<String> names = runs.map(p -> p.getFileName().toString()).toList();
            assertTrue(names.size() == 1 && names.get(0).startsWith("none-resnet8-w2a4-lsq-lsq-"),
                    "a default run folder named without spaces or slashes: " + names);
        }
    }

    @Test
    void missingTeachersComeFromTheModelStoreOrAreTrainedFirst() throws Exception {
        String[] b = {"--scheme", "B", "--width", "0.25", "--teacher", "resnet8", "--teacher-width", "0.5",
                "--out", dir.resolve("b1").toString()};
        assertEquals(0, train(b), err.toString());
        assertTrue(out().contains("teacher: no resnet8 x0.5 for synthetic-64 in the model store; training it first"), out());
        Path stored;
        try (var entries = Files.list(dir.resolve("home/resnets/store"))) {
            List<Path> all = entries.toList();
            assertEquals(1, all.size(), all.toString());
            assertTrue(all.get(0).getFileName().toString().matches("synthetic-64-[0-9a-f]{12}"), all.toString());
            stored = all.get(0).resolve("resnet8-x0.5-fp32.zip");
        }
        assertTrue(Files.isRegularFile(stored));
        assertTrue(Files.isRegularFile(stored.resolveSibling(org.apprentice.train.ModelStore.KEY_FILE)));
        assertTrue(Files.isRegularFile(stored.resolveSibling("resnet8-x0.5-fp32.json")));
        b[b.length - 1] = dir.resolve("b2").toString();
        assertEquals(0, train(b), err.toString());
        assertTrue(out().contains("teacher: resnet8 x0.5 from the model store (" + stored + ")"), out());
        assertTrue(!out().contains("training it first"), out());
        Provenance provenance = new RunFolder(dir.resolve("b2")).readProvenance("student.zip");
        assertEquals(stored, provenance.inputs().teacherModel(), "a teacher from the store is recorded by path");
        assertEquals(Sha256.of(stored), provenance.inputs().teacherModelSha256());
        // scheme C also finds (or makes) its full-precision starting point: trained as a full-precision model,
        // at lr 0.1 for --pretrain-epochs, not with the fine-tuning settings
        assertEquals(0, train("--scheme", "C", "--width", "0.25", "--teacher", "resnet8", "--teacher-width", "0.5",
                "--pretrain-epochs", "2", "--augment", "none", "--out", dir.resolve("c").toString()), err.toString());
        assertTrue(out().contains("full-precision student: no resnet8 x0.25"), out());
        assertTrue(out().contains("2 epochs (--pretrain-epochs), lr 0.1, cosine schedule"), out());
        RunSettings pretrained = new RunFolder(dir.resolve("c/resnet8-fp32")).readSettings();
        assertEquals(0.1, pretrained.optimisation().learningRate());
        assertEquals(2, pretrained.optimisation().epochs());
        assertEquals(0.01, new RunFolder(dir.resolve("c")).readSettings().optimisation().learningRate());
    }

    @Test
    void aFolderHoldingARunIsRefusedAndNothingInItIsLost() throws Exception {
        Path run = dir.resolve("run");
        assertEquals(0, train("--width", "0.25", "--out", run.toString()), err.toString());
        byte[] metrics = Files.readAllBytes(run.resolve("metrics.csv"));
        byte[] model = Files.readAllBytes(run.resolve("student.zip"));
        assertEquals(Main.USAGE_ERROR, train("--width", "0.25", "--seed", "7", "--out", run.toString()));
        assertTrue(err.toString().contains("--out " + run + " holds another run (student.zip)")
                && err.toString().contains("--resume"), err.toString());
        assertArrayEquals(metrics, Files.readAllBytes(run.resolve("metrics.csv")));
        assertArrayEquals(model, Files.readAllBytes(run.resolve("student.zip")));

        // an interrupted run too: its epochs survive a mistaken restart, and --resume still continues it
        Path cut = dir.resolve("cut");
        assertEquals(0, train("--width", "0.25", "--epochs", "2", "--stop-after-epoch", "1", "--out", cut.toString()));
        assertEquals(Main.USAGE_ERROR, train("--width", "0.25", "--epochs", "2", "--out", cut.toString()));
        assertTrue(err.toString().contains("holds another run (a checkpoint)"), err.toString());
        assertEquals(0, train("--width", "0.25", "--epochs", "2", "--resume", "--out", cut.toString()), err.toString());
        assertEquals(3, Files.readAllLines(cut.resolve("metrics.csv")).size());

        // a folder a run owns keeps a second run out, in this process or another
        Path busy = dir.resolve("busy");
        try (RunFolder.Lock owned = new RunFolder(busy).claim(false)) {
            assertEquals(Main.USAGE_ERROR, train("--width", "0.25", "--out", busy.toString()));
            assertTrue(err.toString().contains("--out " + busy + " is in use by another run"), err.toString());
        }
        assertEquals(0, train("--width", "0.25", "--out", busy.toString()), err.toString());
    }

    @Test
    void sparkWithoutTheSparkBuildIsRefusedInOneLineBeforeAnythingIsWritten() {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.util.ServiceLoader.load(
                org.apprentice.kd.SparkTraining.Provider.class).findFirst().isEmpty(), "this is the Spark build");
        Path run = dir.resolve("spark");
        assertEquals(Main.USAGE_ERROR, train("--scheme", "B", "--spark", "local[2]", "--out", run.toString()));
        assertTrue(err.toString().contains("--spark local[2]: this build has no Spark; run with APPRENTICE_SPARK=1"),
                err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
    }

    @Test
    void aDivergedRunStopsWithOneLineAndLeavesNoModel() throws Exception {
        Path run = dir.resolve("diverged");
        assertEquals(1, train("--width", "0.25", "--lr", "1e38", "--out", run.toString()));
        assertTrue(err.toString().contains("training diverged in epoch 1") && err.toString().contains("--lr"),
                err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        assertTrue(!Files.exists(run.resolve("student.zip")));
        assertTrue(!Files.exists(dir.resolve("home/resnets/store")), "nothing published");
    }

    @Test
    void imagenetShapeResNetsRunOnSmallInMemoryImages() {
        // the user's card names resnet50 on the default data; a resnet18 at a quarter width shows the mechanism
        assertEquals(0, train("--student", "resnet18", "--width", "0.25", "--train-subset", "32", "--out",
                dir.resolve("r18").toString()), err.toString());
        assertTrue(out().contains("synthetic resized to 32x32"), out());
    }

    @Test
    void badInputsGetOneLineNamingWhatIsWrongAndNeverAStackTrace() throws Exception {
        Path run = dir.resolve("run");
        assertEquals(0, train("--width", "0.25", "--out", run.toString()), err.toString());
        Path zip = run.resolve("student.zip");
        Path corrupt = dir.resolve("corrupt.zip");
        Files.write(corrupt, java.util.Arrays.copyOf(Files.readAllBytes(zip), 100));
        int busyPort;
        try (java.net.ServerSocket busy = new java.net.ServerSocket(0)) {
            busyPort = busy.getLocalPort();
            String[][] bad = {
                    {"train", "--data", "synthetic", "--epochs", "1", "--out", "/proc/apprentice-test/run"},
                    {"train", "--data", "synthetic", "--lr", "-1"},
                    {"train", "--data", "synthetic", "--wd", "-1"},
                    {"train", "--data", "synthetic", "--train-subset", "-5"},
                    {"train", "--data", "synthetic", "--train-subset", "5", "--out", dir.resolve("five").toString()},
                    {"train", "--data", "synthetic", "--stop-after-epoch", "-1"},
                    {"train", "--data", "synthetic", "--alpha", "-1"},
                    {"train", "--data", "synthetic", "--ui", "--ui-port", "70000"},
                    {"train", "--data", "synthetic", "--student", "resnet8", "--ui", "--ui-port", String.valueOf(busyPort),
                            "--out", dir.resolve("ui").toString()},
                    {"eval", "--model", dir.toString(), "--data", "synthetic"},
                    {"eval", "--model", corrupt.toString(), "--data", "synthetic"},
                    {"eval", "--model", zip.toString(), "--data", "synthetic", "--image-size", "32"},
                    {"eval", "--model", zip.toString(), "--data", "fashion-mnist"},
                    {"export", "--model", dir.resolve("missing.zip").toString()},
            };
            String[] expected = {"/proc/apprentice-test", "--lr", "--wd", "--train-subset", "--train-subset 5", "--stop-after-epoch",
                    "--alpha", "--ui-port", "--ui-port " + busyPort, "is a folder", corrupt.toString(), "contradicts", "has 4 classes, --data fashion-mnist has 10",
                    "does not exist"};
            for (int i = 0; i < bad.length; i++) {
                out.reset();
                err.reset();
                int status = Main.run(bad[i], new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8));
                String e = err.toString(StandardCharsets.UTF_8);
                String what = String.join(" ", bad[i]) + " -> " + e;
                assertTrue(status != 0, what);
                assertEquals(1, e.strip().lines().count(), what);
                assertTrue(e.startsWith("apprentice: ") && e.contains(expected[i]), what);
                assertTrue(!e.contains("\tat ") && !e.contains("unexpected") && !e.contains("model model"), what);
            }
        }
    }

    @Test
    void theShippedRecipesAndStudyStepsMakeValidSettings() throws Exception {
        Path home = Path.of(System.getProperty("user.dir"));
        int recipes = 0;
        try (var files = Files.list(home.resolve("resnets/recipes"))) {
            for (Path recipe : files.sorted().toList()) {
                // the typed settings, with every cross-field check a run makes before it starts
                RunSettings settings = org.apprentice.train.SettingKeys.apply(RunSettings.builder(),
                        org.apprentice.train.SettingKeys.fromRecipe(recipe)).out(dir.resolve("r")).build();
                assertEquals(settings, settings.toBuilder().build(), recipe.toString());
                recipes++;
            }
        }
        assertTrue(recipes >= 40, recipes + " recipes");
        int steps = 0;
        for (String name : org.apprentice.study.Study.available(home)) {
            boolean smoke = Files.readString(org.apprentice.study.Study.studiesFolder(home).resolve(name + ".properties"))
                    .contains("\nquick.flags");
            for (boolean quick : smoke ? new boolean[] {false, true} : new boolean[] {false}) {
                org.apprentice.study.Study study = org.apprentice.study.Study.load(home, name, quick);
                Path folder = dir.resolve(name);
                for (org.apprentice.study.Study.Step step : study.steps()) {
                    List<String> flags = quick ? study.quickFlags() : study.flags();
                    Path recipesFolder = org.apprentice.study.Study.recipesFolder(home);
                    RunSettings settings = step.settings(recipesFolder, flags, folder);
                    assertEquals(settings, settings.toBuilder().build(), step.name());
                    // the command the study shows (and records when the step is done) makes the same settings,
                    // and is a command line the train command accepts
                    List<String> args = step.trainArgs(recipesFolder, flags, folder);
                    TrainCommand command = new TrainCommand();
                    com.beust.jcommander.JCommander.newBuilder().addCommand("train", command).build()
                            .parse(args.toArray(String[]::new));
                    assertEquals(settings, command.settings(home, args.subList(1, args.size())), step.name());
                    steps++;
                }
            }
        }
        assertTrue(steps >= 300, "every shipped study, full and (where it has one) quick: " + steps + " steps");
    }

    @Test
    void everyTrainFlagIsASettingAndEverySettingAFlag() {
        TrainCommand command = new TrainCommand();
        com.beust.jcommander.JCommander jc = com.beust.jcommander.JCommander.newBuilder().addObject(command).build();
        jc.parse(); // the flags are read on the first parse
        java.util.Set<String> flags = new java.util.TreeSet<>();
        // every name of a flag (--init is also --student-init) is a setting
        jc.getParameters().forEach(p -> java.util.Arrays.stream(p.getParameter().names())
                .forEach(name -> flags.add(name.substring(2))));
        flags.remove("recipe"); // the file of settings, not a setting
        assertEquals(new java.util.TreeSet<>(org.apprentice.train.SettingKeys.keys()), flags);
        for (var p : jc.getParameters()) {
            String key = p.getLongestName().substring(2);
            if (!key.equals("recipe")) {
                assertEquals(p.getParameter().arity() == 0 || p.getParameterized().getType() == boolean.class,
                        org.apprentice.train.SettingKeys.isSwitch(key), key + ": a switch on both sides or neither");
            }
        }
    }

    @Test
    void aRecipeOrAStudyStepNamingNoSettingIsRefusedNamingTheFileAndKey() throws Exception {
        Path recipe = dir.resolve("typo.properties");
        Files.writeString(recipe, "scheme = B\nepoch = 3\n");
        assertEquals(Main.USAGE_ERROR, Main.run(new String[] {"train", "--recipe", recipe.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)));
        assertTrue(err.toString().contains("recipe " + recipe + ", key 'epoch': 'epoch' is not a setting"), err.toString());
        assertEquals(1, err.toString().lines().count(), err.toString());

        Path home = dir.resolve("project");
        Files.createDirectories(home.resolve("resnets/recipes"));
        Files.createDirectories(home.resolve("resnets/studies"));
        Files.writeString(home.resolve("resnets/recipes/fp.properties"), "scheme = none\n");
        Path study = home.resolve("resnets/studies/s.properties");
        Files.writeString(study, "teacher = t\nfp-student = t\nsteps = t\nstep.t = fp --epochz 3\n");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> org.apprentice.study.Study.load(home, "s"));
        assertTrue(e.getMessage().startsWith("study " + study + ": step t: 'epochz' is not a setting"), e.getMessage());
        Files.writeString(home.resolve("resnets/recipes/fp.properties"), "scheme = none\nbatch = many\n");
        Files.writeString(study, "teacher = t\nfp-student = t\nsteps = t\nstep.t = fp\n");
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> org.apprentice.study.Study.load(home, "s"));
        assertTrue(e.getMessage().contains("recipe " + home.resolve("resnets/recipes/fp.properties")
                + ", key 'batch': --batch 'many' is not an integer"), e.getMessage());
    }

    @Test
    void recipesFixARunAndFlagsOverrideThem() throws Exception {
        Path recipe = dir.resolve("recipe.properties");
        Files.writeString(recipe, "scheme = none\nstudent = resnet8\nwidth = 0.25\nbits = 2\nact-bits = 4\n"
                + "epochs = 1\ndata = synthetic\ntrain-subset = 64\nbatch = 32\nschedule = step\n");
        assertEquals(0, Main.run(new String[] {"train", "--recipe", recipe.toString(), "--act-bits", "8", "--out",
                dir.resolve("r").toString()}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)), err.toString());
        assertTrue(out().contains("student resnet8 w2a8"), out());
        RunFolder run = new RunFolder(dir.resolve("r"));
        RunSettings resolved = run.readSettings();
        assertEquals(Schedule.STEP, resolved.optimisation().schedule());
        assertEquals(PrecisionSpec.of(2, 8), resolved.student().precision());
        assertEquals(0.25, resolved.student().width());
        assertEquals(resolved, run.readProvenance("student.zip").settings());
        err.reset();
        assertEquals(Main.USAGE_ERROR, Main.run(new String[] {"train", "--recipe", dir.resolve("no.properties").toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)));
        assertTrue(err.toString().contains("no.properties"), err.toString());
    }

    @Test
    void missingModelsAndBadValuesAreOneLineUsageErrors() {
        assertEquals(Main.USAGE_ERROR, train("--scheme", "C", "--teacher-model", dir.resolve("none.zip").toString()));
        assertTrue(err.toString().contains(dir.resolve("none.zip").toString()), err.toString());
        assertEquals(Main.USAGE_ERROR, train("--scheme", "Z"));
        assertTrue(err.toString().contains("none, A, B, C"), err.toString());
        assertEquals(Main.USAGE_ERROR, train("--temperature", "0"));
        assertTrue(err.toString().contains("temperature"), err.toString());
        err.reset();
        assertEquals(Main.USAGE_ERROR, Main.run(new String[] {"train", "--data", "mnist"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)));
        assertTrue(err.toString().contains("'mnist'") && err.toString().contains("fashion-mnist, synthetic"), err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
    }

    @Test
    void trainsOnAnImageFolderAndRecordsItsClasses() throws Exception {
        Path data = dir.resolve("images");
        String[] classes = {"circle", "square"};
        for (String split : new String[] {"train", "val"}) {
            for (int k = 0; k < 2; k++) {
                for (int i = 0; i < 4; i++) {
                    java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(40 + 4 * i, 36,
                            java.awt.image.BufferedImage.TYPE_INT_RGB);
                    java.awt.Graphics2D g = img.createGraphics();
                    g.setColor(k == 0 ? java.awt.Color.RED : java.awt.Color.BLUE);
                    g.fillRect(0, 0, img.getWidth(), img.getHeight());
                    g.dispose();
                    Path file = data.resolve(split).resolve(classes[k]).resolve(i + (i % 2 == 0 ? ".png" : ".jpg"));
                    Files.createDirectories(file.getParent());
                    javax.imageio.ImageIO.write(img, i % 2 == 0 ? "png" : "jpg", file.toFile());
                }
            }
        }
        Files.writeString(data.resolve("train/square/broken.jpg"), "not an image");
        Path run = dir.resolve("folder-run");
        out.reset();
        err.reset();
        String[] args = {"train", "--data", data.toString(), "--image-size", "32", "--student", "resnet8", "--width",
                "0.25", "--epochs", "1", "--batch", "4", "--workers", "2", "--out", run.toString()};
        assertEquals(1, Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)));
        assertTrue(err.toString().contains(data.resolve("train/square/broken.jpg").toString()), err.toString());

        String[] lenient = java.util.Arrays.copyOf(args, args.length + 1);
        lenient[args.length] = "--skip-bad-images";
        out.reset();
        err.reset();
        assertEquals(0, Main.run(lenient, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)), err.toString());
        assertTrue(out().contains("8 training images, 8 test images") || out().contains("9 training images, 8 test images"),
                out());
        assertTrue(out().contains("1 bad image files were skipped"), out());
        assertEquals(List.of("circle", "square"),
                org.apprentice.model.ModelFiles.recordedClasses(run.resolve("student.zip").toFile()));
        assertEquals(org.apprentice.model.Normalization.IMAGENET,
                org.apprentice.model.ModelFiles.recordedNormalization(run.resolve("student.zip").toFile()),
                "the model records what its inputs were normalised with");
        // eval scores it at the size it was trained at (32), not the ImageNet default, with no flag to remember
        String reported = out().lines().filter(l -> l.startsWith("student: ")).findFirst().orElseThrow();
        String accuracy = reported.substring("student: ".length(), reported.indexOf(" ->"));
        out.reset();
        assertEquals(0, Main.run(new String[] {"eval", "--model", run.resolve("student.zip").toString(), "--data",
                data.toString()}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)), err.toString());
        assertTrue(out().contains(accuracy), out() + " vs " + accuracy);
    }

    @Test
    void evalAndExportReportAndRefuseCorruptModelsByName() throws Exception {
        Path run = dir.resolve("run");
        assertEquals(0, train("--width", "0.25", "--bits", "2", "--act-bits", "4", "--out", run.toString()), err.toString());
        String reported = out().lines().filter(l -> l.startsWith("student: ")).findFirst().orElseThrow();
        String accuracy = reported.substring("student: ".length(), reported.indexOf(" ->"));

        out.reset();
        err.reset();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        Path zip = run.resolve("student.zip");
        assertEquals(0, Main.run(new String[] {"export", "--model", zip.toString()}, o, e), err.toString());
        assertTrue(out().contains("ternary") && out().contains("packed file"), out());
        for (Path model : List.of(zip, run.resolve("student-deploy.zip"), run.resolve("student.packed"))) {
            out.reset();
            // at the batch the run evaluated with (max(--batch, 64)): the same minibatches, so the same kernels and sums
            assertEquals(0, Main.run(new String[] {"eval", "--model", model.toString(), "--data", "synthetic", "--batch",
                    "64"}, o, e),
                    err.toString());
            assertTrue(out().contains(accuracy), model + ": " + out() + " vs " + accuracy);
        }

        Path corrupt = dir.resolve("corrupt.zip");
        byte[] bytes = Files.readAllBytes(zip);
        Files.write(corrupt, java.util.Arrays.copyOf(bytes, bytes.length / 3));
        err.reset();
        assertEquals(Main.USAGE_ERROR, Main.run(new String[] {"eval", "--model", corrupt.toString(), "--data",
                "synthetic"}, o, e));
        assertTrue(err.toString().contains(corrupt.toString()), err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        err.reset();
        assertEquals(Main.USAGE_ERROR, train("--scheme", "B", "--teacher-model", corrupt.toString()));
        assertTrue(err.toString().contains(corrupt.toString()), err.toString());
        err.reset();
        assertEquals(Main.USAGE_ERROR, train("--scheme", "B", "--teacher-model", zip.toString()));
        assertTrue(err.toString().contains("low precision"), err.toString());
    }

    @Test
    void aStoppedAndResumedRunEndsExactlyAsAnUninterruptedOne() throws Exception {
        Path whole = dir.resolve("whole");
        Path split = dir.resolve("split");
        String[] common = {"--scheme", "A", "--width", "0.25", "--teacher", "resnet8", "--teacher-width", "0.5",
                "--bits", "2", "--act-bits", "4", "--epochs", "3"};
        assertEquals(0, train(concat(common, "--out", whole.toString())), err.toString());
        assertEquals(0, train(concat(common, "--out", split.toString(), "--stop-after-epoch", "1")), err.toString());
        assertTrue(out().contains("stopped after epoch 1"), out());
        assertTrue(!Files.exists(split.resolve("student.zip")));
        assertEquals(0, train(concat(common, "--out", split.toString(), "--resume")), err.toString());
        assertTrue(out().contains("resuming") && out().contains("after epoch 1"), out());

        for (String model : new String[] {"student.zip", "teacher.zip"}) {
            assertEquals(org.deeplearning4j.util.ModelSerializer.restoreComputationGraph(whole.resolve(model).toFile()).params(),
                    org.deeplearning4j.util.ModelSerializer.restoreComputationGraph(split.resolve(model).toFile()).params(),
                    model);
        }
        List<String> a = Files.readAllLines(whole.resolve("metrics.csv"));
        List<String> b = Files.readAllLines(split.resolve("metrics.csv"));
        assertEquals(4, b.size());
        for (int i = 0; i < a.size(); i++) {
            // identical up to the timing columns
            assertEquals(String.join(",", java.util.Arrays.copyOf(a.get(i).split(","), 10)),
                    String.join(",", java.util.Arrays.copyOf(b.get(i).split(","), 10)));
        }
        Provenance provenance = new RunFolder(split).readProvenance("student.zip");
        assertEquals(42, provenance.settings().optimisation().seed());
        assertEquals(3, provenance.epochs());
        assertTrue(provenance.inputs().dataSha256().matches("[0-9a-f]{64}"), provenance.toString());
        assertEquals(System.getProperty("java.version"), provenance.environment().java());
        assertTrue(provenance.environment().nd4j().matches("nd4j-(native|cuda-[0-9.]+) \\S+")
                && !provenance.environment().nd4j().equals(provenance.environment().dl4j()),
                "the backend jar's own name and version, not DL4J's: " + provenance.environment());
        assertEquals(new RunFolder(whole).readProvenance("student.zip").inputs(), provenance.inputs());
    }

    @Test
    void resumingAnotherRunOrABrokenCheckpointIsRefused() throws Exception {
        Path run = dir.resolve("run");
        assertEquals(0, train("--width", "0.25", "--epochs", "2", "--stop-after-epoch", "1", "--out", run.toString()));
        assertEquals(Main.USAGE_ERROR, train("--width", "0.25", "--epochs", "2", "--seed", "7", "--resume",
                "--out", run.toString()));
        // --seed also draws the training subset here, which is the first setting of the run's identity to differ
        assertTrue(err.toString().contains("belongs to another run (data.subsetSeed: 42, now 7)"), err.toString());
        assertEquals(Main.USAGE_ERROR, train("--width", "0.25", "--epochs", "2", "--seed", "7", "--subset-seed", "42",
                "--resume", "--out", run.toString()));
        assertTrue(err.toString().contains("belongs to another run (optimisation.seed: 42, now 7)"), err.toString());
        Path zip = run.resolve("checkpoint-epoch-1/student.zip");
        byte[] bytes = Files.readAllBytes(zip);
        Files.write(zip, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertEquals(Main.USAGE_ERROR, train("--width", "0.25", "--epochs", "2", "--resume", "--out", run.toString()));
        assertTrue(err.toString().contains(zip.toString()), err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        assertEquals(Main.USAGE_ERROR, train("--width", "0.25", "--resume", "--out", dir.resolve("nothing").toString()));
        assertTrue(err.toString().contains("has no checkpoint"), err.toString());
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @Test
    void trainingUiServesTheRun() throws Exception {
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        try {
            assertEquals(0, train("--width", "0.25", "--ui", "--ui-port", String.valueOf(port), "--out",
                    dir.resolve("ui").toString()), err.toString());
            assertTrue(out().contains("training UI: http://localhost:" + port + "/train"), out());
            java.net.HttpURLConnection c = (java.net.HttpURLConnection)
                    new java.net.URL("http://localhost:" + port + "/train/overview").openConnection();
            assertEquals(200, c.getResponseCode());
        } finally {
            org.deeplearning4j.ui.api.UIServer.stopInstance();
        }
    }

    @Test
    void trainingIsTheDefaultCommand() {
        assertEquals(0, Main.run(new String[] {"--data", "synthetic", "--train-subset", "32", "--epochs", "1",
                "--student", "resnet8", "--width", "0.25", "--bits", "2", "--out", dir.resolve("default").toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)),
                err.toString());
        assertTrue(out().contains("scheme none (no distillation): student resnet8 w2a8"), out());
        assertTrue(Files.isRegularFile(dir.resolve("default/student.zip")));
    }

    /** An image folder with train and val splits, three small images of each named class. */
    private static Path imageFolder(Path root, String... classes) throws IOException {
        for (String split : new String[] {"train", "val"}) {
            for (int k = 0; k < classes.length; k++) {
                for (int i = 0; i < 3; i++) {
                    java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(20, 20,
                            java.awt.image.BufferedImage.TYPE_INT_RGB);
                    img.setRGB(i, k, 0xffffff);
                    Path file = root.resolve(split).resolve(classes[k]).resolve(k + "-" + i + ".png");
                    Files.createDirectories(file.getParent());
                    javax.imageio.ImageIO.write(img, "png", file.toFile());
                }
            }
        }
        return root;
    }

    /** An untrained resnet8 x0.25 saved as a model zip for {@code classes} at {@code input}. */
    private static Path model(Path zip, org.apprentice.model.InputShape input, List<String> classes) throws IOException {
        org.apprentice.model.ResNetConfig config = org.apprentice.model.ResNetConfig.of("resnet8", classes.size(), input)
                .withWidthMultiplier(0.25);
        org.apprentice.model.ModelFiles.save(org.apprentice.model.ResNetBuilder.build(config), config, classes,
                org.apprentice.model.Normalization.IMAGENET, zip.toFile());
        return zip;
    }

    private int command(String... args) {
        out.reset();
        err.reset();
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true,
                StandardCharsets.UTF_8));
    }

    private void assertOneLineNaming(String... parts) {
        String e = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, e.strip().lines().count(), e);
        for (String p : parts) {
            assertTrue(e.contains(p), "'" + p + "' in: " + e);
        }
    }

    /**
     * Every input is checked before anything trains, in one line naming it: a starting point that is not a model (not
     * after training a teacher for it), a model for other channels, an image size
     * whose minibatch cannot fit in memory, a training subset larger than its split.
     */
    @Test
    void everyInputIsCheckedBeforeAnythingTrains() throws Exception {
        Path notes = Files.writeString(dir.resolve("notes.txt"), "not a model");
        Path run = dir.resolve("c");
        assertEquals(Main.USAGE_ERROR, train("--scheme", "C", "--width", "0.25", "--teacher", "resnet8",
                "--student-init", notes.toString(), "--out", run.toString()));
        assertOneLineNaming(notes.toString(), "not a DL4J ComputationGraph zip");
        assertTrue(!out().contains("training it first") && !Files.exists(run.resolve("resnet8-fp32")), out());
        assertTrue(!Files.exists(dir.resolve("home/resnets/store")), "no teacher was trained for it");

        Path pets = imageFolder(dir.resolve("pets"), "cat", "fox");
        org.apprentice.model.InputShape rgb = new org.apprentice.model.InputShape(3, 16, 16);
        Path catsAndDogs = model(dir.resolve("cat-dog.zip"), rgb, List.of("cat", "dog"));
        // a teacher trained on other class names is not refused: it is fine-tuned on the data first (transfer)
        assertEquals(0, command("train", "--data", pets.toString(), "--image-size", "16", "--scheme", "B",
                "--student", "resnet8", "--width", "0.25", "--teacher", "resnet8", "--teacher-width", "0.25",
                "--teacher-model", catsAndDogs.toString(), "--out", dir.resolve("b").toString()), err.toString());
        assertTrue(out().contains("teacher: " + catsAndDogs + " was trained on other classes; fine-tuning it on the "
                + "data first"), out());

        Path gray = model(dir.resolve("gray.zip"), new org.apprentice.model.InputShape(1, 16, 16), List.of("cat", "fox"));
        assertEquals(Main.USAGE_ERROR, command("eval", "--model", gray.toString(), "--data", pets.toString()));
        assertOneLineNaming(gray.toString(), "takes input 1x16x16", "--data " + pets + " has 3x16x16");

        assertEquals(Main.USAGE_ERROR, train("--image-size", "100000", "--out", dir.resolve("huge").toString()));
        assertOneLineNaming("--image-size 100000", "GB", "--batch");
        assertEquals(Main.USAGE_ERROR, command("train", "--data", pets.toString(), "--train-subset", "1000000",
                "--student", "resnet8", "--width", "0.25", "--out", dir.resolve("subset").toString()));
        assertOneLineNaming("--train-subset 1000000 is more than the 6 images of the training split");
        assertTrue(!Files.exists(dir.resolve("home/resnets/store")) && !Files.exists(dir.resolve("subset/student.zip")));
    }
}
