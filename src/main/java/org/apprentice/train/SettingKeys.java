package org.apprentice.train;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.apprentice.data.Augment;
import org.apprentice.data.DataSpec;
import org.apprentice.kd.ApprenticeLoss;
import org.apprentice.kd.Scheme;
import org.apprentice.model.PrecisionFlags;
import org.apprentice.model.WeightDecay;
import org.apprentice.quant.ActivationMethod;
import org.apprentice.quant.WeightMethod;

/**
 * The one table from a setting's name (the train command's flag without its dashes: {@code epochs},
 * {@code teacher-model}, {@code no-teacher}) to the typed change it makes to a {@link RunSettings.Builder}. The command
 * line, a recipe file ({@code resnets/recipes/*.properties}) and a study step's flags are all read through it, so each
 * makes the same changes; a name it does not hold is refused in one line that names it and where it was given.
 */
public final class SettingKeys {
    /** One setting given: its name, its value as written ("" for a switch given bare), and the typed change. */
    public record Change(String key, String value, java.util.function.Consumer<RunSettings.Builder> change) {
        public void applyTo(RunSettings.Builder b) {
            change.accept(b);
        }

        @Override
        public String toString() {
            return "--" + key + (value.isEmpty() ? "" : " " + value);
        }
    }

    /** A setting: whether it is a switch (true/false, or bare on the command line), and how its text changes a builder. */
    private record Key(boolean isSwitch, BiConsumer<RunSettings.Builder, String> set) {
    }

    private static final Map<String, Key> KEYS = new LinkedHashMap<>();

    static {
        text("scheme", (b, v) -> b.scheme(Scheme.parse(v)));
        text("student", RunSettings.Builder::student);
        text("width", (b, v) -> b.studentWidth(number("width", v)));
        text("bits", (b, v) -> b.precisionFlags(f -> f.withBits(integer("bits", v))));
        text("act-bits", (b, v) -> b.precisionFlags(f -> f.withActBits(integer("act-bits", v))));
        text("weight-scaling", (b, v) -> b.precisionFlags(f -> f.withScaling(PrecisionFlags.parseScaling(v))));
        text("weights", (b, v) -> b.precisionFlags(f -> f.withWeights(WeightMethod.parse(v))));
        text("activations", (b, v) -> b.precisionFlags(f -> f.withActivations(ActivationMethod.parse(v))));
        flag("quantize-first", (b, on) -> b.precisionFlags(f -> f.withQuantizeFirst(on)));
        flag("quantize-last", (b, on) -> b.precisionFlags(f -> f.withQuantizeLast(on)));
        text("override", (b, v) -> b.precisionFlags(f -> f.withOverride(v)));
        text("teacher", RunSettings.Builder::teacher);
        text("teacher-width", (b, v) -> b.teacherWidth(number("teacher-width", v)));
        text("teacher-model", (b, v) -> b.teacherModel(Path.of(v)));
        text("init", (b, v) -> b.studentInit(Path.of(v)));
        text("student-init", (b, v) -> b.studentInit(Path.of(v)));
        flag("no-teacher", RunSettings.Builder::noTeacher);
        text("data", (b, v) -> b.data(DataSpec.parse(v)));
        text("train-subset", (b, v) -> b.trainSubset(integer("train-subset", v)));
        text("subset-seed", (b, v) -> b.subsetSeed(parsed("subset-seed", v, Long::parseLong, "an integer")));
        text("keep-classes", (b, v) -> b.keepClasses(org.apprentice.data.ClassSubset.parse(v)));
        text("image-size", (b, v) -> b.imageSize(integer("image-size", v)));
        text("augment", (b, v) -> b.augment(Augment.parse(v)));
        text("epochs", (b, v) -> b.epochs(integer("epochs", v)));
        text("pretrain-epochs", (b, v) -> b.pretrainEpochs(integer("pretrain-epochs", v)));
        text("batch", (b, v) -> b.batch(integer("batch", v)));
        text("lr", (b, v) -> b.learningRate(number("lr", v)));
        text("schedule", (b, v) -> b.schedule(Schedule.parse(v)));
        text("wd", (b, v) -> b.weightDecay(number("wd", v)));
        text("wd-form", (b, v) -> b.weightDecayForm(WeightDecay.parse(v)));
        text("alpha", (b, v) -> b.alpha(number("alpha", v)));
        text("beta", (b, v) -> b.beta(number("beta", v)));
        text("gamma", (b, v) -> b.gamma(number("gamma", v)));
        text("temperature", (b, v) -> b.temperature(number("temperature", v)));
        text("target", (b, v) -> b.target(ApprenticeLoss.Target.parse(v)));
        text("seed", (b, v) -> b.seed(parsed("seed", v, Long::parseLong, "an integer")));
        text("freeze-epochs", (b, v) -> b.freezeEpochs(integer("freeze-epochs", v)));
        text("out", (b, v) -> b.out(Path.of(v)));
        flag("resume", RunSettings.Builder::resume);
        text("stop-after-epoch", (b, v) -> b.stopAfterEpoch(integer("stop-after-epoch", v)));
        flag("ui", RunSettings.Builder::ui);
        text("ui-port", (b, v) -> b.uiPort(integer("ui-port", v)));
        text("workers", (b, v) -> b.workers(integer("workers", v)));
        text("replicas", (b, v) -> b.replicas(integer("replicas", v)));
        text("spark", RunSettings.Builder::spark);
        flag("skip-bad-images", RunSettings.Builder::skipBadImages);
        flag("cache-teacher-logits", RunSettings.Builder::cacheTeacherLogits);
        text("eval-every", (b, v) -> b.evalEvery(integer("eval-every", v)));
        text("teacher-logits-store", (b, v) -> b.teacherLogitsStore(Path.of(v)));
    }

    private SettingKeys() {
    }

    private static void text(String key, BiConsumer<RunSettings.Builder, String> set) {
        KEYS.put(key, new Key(false, set));
    }

    private static void flag(String key, BiConsumer<RunSettings.Builder, Boolean> set) {
        KEYS.put(key, new Key(true, (b, v) -> set.accept(b, switchValue(key, v))));
    }

    /** Every setting's name, in the table's order. */
    public static Set<String> keys() {
        return java.util.Collections.unmodifiableSet(KEYS.keySet());
    }

    /** Whether {@code key} is a switch (given bare on the command line, true or false in a file). */
    public static boolean isSwitch(String key) {
        return known(key, "").isSwitch();
    }

    /** The change {@code key = value} makes, its value checked now; one-line errors name the key. */
    public static Change change(String key, String value) {
        Key k = known(key, "");
        String v = value.trim();
        RunSettings.Builder check = RunSettings.builder();
        k.set().accept(check, v); // parses the value: a bad one is refused where it is read, not when it is applied
        return new Change(key, v, b -> k.set().accept(b, v));
    }

    /** The builder with {@code changes} made in order (a later change of the same setting wins). */
    public static RunSettings.Builder apply(RunSettings.Builder b, List<Change> changes) {
        changes.forEach(c -> c.applyTo(b));
        return b;
    }

    /**
     * The changes of command-line words ({@code --epochs 3 --no-teacher --teacher-model FILE}); {@code where} names
     * their source in errors (a study's file and step).
     */
    public static List<Change> fromFlags(List<String> words, String where) {
        List<Change> changes = new ArrayList<>();
        for (int i = 0; i < words.size(); i++) {
            String word = words.get(i);
            if (!word.startsWith("--")) {
                throw new IllegalArgumentException(where + ": '" + word + "' is not a flag (--NAME)");
            }
            String key = word.substring(2);
            try {
                boolean bare = known(key, where).isSwitch() && (i + 1 == words.size() || words.get(i + 1).startsWith("--")
                        || !isBoolean(words.get(i + 1)));
                String value = bare ? "" : i + 1 < words.size() ? words.get(++i) : null;
                if (value == null) {
                    throw new IllegalArgumentException("--" + key + " needs a value");
                }
                changes.add(change(key, value));
            } catch (IllegalArgumentException e) {
                throw e.getMessage().startsWith(where) ? e : new IllegalArgumentException(where + ": " + e.getMessage());
            }
        }
        return changes;
    }

    /**
     * The changes a recipe (a properties file of {@code key = value} lines) makes, in the order its lines are
     * sorted by key; a key that names no setting, or a bad value, is refused in one line naming the file and key.
     */
    public static List<Change> fromRecipe(Path file) {
        Properties recipe = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            recipe.load(in);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("recipe " + file + " is not a properties file: " + e.getMessage());
        }
        List<Change> changes = new ArrayList<>();
        for (String key : recipe.stringPropertyNames().stream().sorted().toList()) {
            try {
                changes.add(change(key.trim(), recipe.getProperty(key)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("recipe " + file + ", key '" + key.trim() + "': " + e.getMessage());
            }
        }
        return changes;
    }

    private static Key known(String key, String where) {
        Key k = KEYS.get(key);
        if (k == null) {
            throw new IllegalArgumentException((where.isEmpty() ? "" : where + ": ") + "'" + key
                    + "' is not a setting; settings: " + String.join(", ", KEYS.keySet()));
        }
        return k;
    }

    private static boolean isBoolean(String text) {
        return text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false");
    }

    private static boolean switchValue(String key, String text) {
        if (text.isEmpty() || text.equalsIgnoreCase("true")) {
            return true;
        }
        if (text.equalsIgnoreCase("false")) {
            return false;
        }
        throw new IllegalArgumentException("--" + key + " is a switch: true or false, got '" + text + "'");
    }

    private static int integer(String key, String text) {
        return parsed(key, text, Integer::parseInt, "an integer");
    }

    private static double number(String key, String text) {
        return parsed(key, text, Double::parseDouble, "a number");
    }

    private static <T> T parsed(String key, String text, Function<String, T> parse, String what) {
        try {
            return parse.apply(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + " '" + text + "' is not " + what);
        }
    }
}
