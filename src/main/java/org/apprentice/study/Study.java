package org.apprentice.study;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;
import org.apprentice.train.RunSettings;
import org.apprentice.train.SettingKeys;

/**
 * A reproduction study: an ordered list of training runs, each a recipe from {@code resnets/recipes/}
 * plus flags, defined in {@code resnets/studies/NAME.properties}:
 *
 * <pre>
 * title = ...
 * flags = --train-subset 6000 --epochs 8          # given to every step
 * quick.flags = --train-subset 1000 --epochs 3    # instead, with --quick
 * teacher = teacher                               # the step that trains the main teacher
 * fp-student = fp                                 # the step that trains the full-precision student
 * steps = teacher, fp, w2a4-none, w2a4-b, ...
 * step.w2a4-b = fashion-mnist-resnet20-w2a4-b --teacher-model @teacher
 * step.teacher = fashion-mnist-resnet32-fp32-teacher --epochs 16   # a step's flags override the study's
 * quick.step.teacher = fashion-mnist-resnet32-fp32-teacher         # the step, with --quick
 * repeat = w2a4-b      # optional: run this step a second time, from scratch, to check the numbers repeat
 * reference.source = PyTorch 1.13 on this protocol, one seed   # optional: figures each step should reach
 * reference.top1.w2a4-b = 84.1                                 # test top-1 in percent, by step
 * reference.tried = ...                                        # what was tried where a step falls short
 * reference.trial.b-lr0.01 = w2a4-b   # step b-lr0.01 tries to bring w2a4-b to its reference figure; trials
 *                                    # are reported with the reference, never as seeds of a cell
 * keep-models = teacher, fp   # optional: models kept (committed) for good; the others only while a step that uses
 *                              # them has not finished
 * report = map       # optional: the results as a map of the teacher's gain (MapReport); paper (the default) lays
 *                    # them out as the paper's tables (StudyReport)
 * </pre>
 *
 * {@code @NAME} in a step's flags stands for the model that step NAME trained ({@code NAME/student.zip}
 * in the study's folder), so steps name their teacher and starting point exactly.
 */
public record Study(String name, String title, List<Step> steps, List<String> flags, List<String> quickFlags,
                    String teacherStep, String fpStudentStep, String repeatStep, Reference reference,
                    StudyResults.Kind report, List<String> keepModels) {

    /**
     * Figures from elsewhere (another implementation on the same protocol) that the study's steps should
     * reach: test top-1 in percent by step name, where they come from, what was tried for the misses, and the
     * trial steps run to close them (trial step to the step whose figure it tries to reach, in step order).
     */
    public record Reference(String source, Map<String, Double> top1, String tried, Map<String, String> trials) {
        public static final Reference NONE = new Reference("", Map.of(), "", Map.of());

        public boolean isEmpty() {
            return top1.isEmpty();
        }

        public boolean isTrial(String step) {
            return trials.containsKey(step);
        }
    }

    /** The folder name of the determinism check: the repeated step, run again from scratch. */
    public static String repeatFolder(String step) {
        return step + "-repeat";
    }

    /** One training run of the study. */
    public record Step(String name, String recipe, List<String> flags) {

        /** The steps whose models this one uses ({@code @NAME} references). */
        public List<String> uses() {
            return flags.stream().filter(f -> f.startsWith("@")).map(f -> f.substring(1)).toList();
        }

        /**
         * The {@code train} arguments of this step: its recipe, the study's flags, its own flags with
         * {@code @NAME} resolved under {@code folder}, and {@code --out folder/NAME}.
         */
        public List<String> trainArgs(Path recipes, List<String> studyFlags, Path folder) {
            List<String> args = new ArrayList<>(List.of("train", "--recipe",
                    recipes.resolve(recipe + ".properties").toString()));
            for (int i = 0; i < studyFlags.size(); i++) {
                String f = studyFlags.get(i);
                boolean withValue = i + 1 < studyFlags.size() && !studyFlags.get(i + 1).startsWith("--");
                if (!flags.contains(f)) { // the step's own flags win
                    args.add(f);
                    if (withValue) {
                        args.add(studyFlags.get(i + 1));
                    }
                }
                if (withValue) {
                    i++;
                }
            }
            for (String f : flags) {
                args.add(f.startsWith("@") ? modelOf(folder, f.substring(1)).toString() : f);
            }
            args.addAll(List.of("--out", folder.resolve(name).toString()));
            return args;
        }

        /**
         * The settings this step trains with: its recipe's, changed by the study's flags, then by its own (which so
         * win), all read through {@link SettingKeys} as the command line is, with {@code @NAME} resolved under
         * {@code folder} and the run folder {@code folder/NAME}; one-line errors name the recipe's or the study's key.
         */
        public RunSettings settings(Path recipes, List<String> studyFlags, Path folder) {
            RunSettings.Builder b = RunSettings.builder();
            SettingKeys.apply(b, SettingKeys.fromRecipe(recipes.resolve(recipe + ".properties")));
            SettingKeys.apply(b, SettingKeys.fromFlags(studyFlags, "the study's flags"));
            List<String> own = flags.stream().map(f -> f.startsWith("@") ? modelOf(folder, f.substring(1)).toString() : f)
                    .toList();
            SettingKeys.apply(b, SettingKeys.fromFlags(own, "step " + name));
            return b.out(folder.resolve(name)).build();
        }

        /** The options this step runs with: the study's flags, overridden by its own; each with its value ("" for a switch). */
        public Map<String, String> options(List<String> studyFlags) {
            Map<String, String> options = options(studyFlags, "the study's flags (flags or quick.flags)");
            options.putAll(options(flags, "step " + name));
            return options;
        }

        /** {@code words} as options with their values ("" for a switch), in order; an option given twice is refused. */
        private static Map<String, String> options(List<String> words, String where) {
            Map<String, String> options = new LinkedHashMap<>();
            for (int i = 0; i < words.size(); i++) {
                boolean withValue = i + 1 < words.size() && !words.get(i + 1).startsWith("--");
                if (options.put(words.get(i), withValue ? words.get(i + 1) : "") != null) {
                    throw new IllegalArgumentException(where + ": " + words.get(i) + " is given twice");
                }
                i += withValue ? 1 : 0;
            }
            return options;
        }

        /**
         * What this step changes from {@code base}, both run with {@code studyFlags}: another recipe, and the
         * options it adds or sets otherwise; "nothing" when they run alike.
         */
        public String differencesFrom(Step base, List<String> studyFlags) {
            List<String> changes = new ArrayList<>();
            if (!recipe.equals(base.recipe)) {
                changes.add("recipe " + recipe);
            }
            Map<String, String> ours = options(studyFlags);
            Map<String, String> theirs = base.options(studyFlags);
            ours.forEach((option, value) -> {
                if (!value.equals(theirs.get(option))) {
                    changes.add(value.isEmpty() ? option : option + " " + value);
                }
            });
            theirs.keySet().stream().filter(o -> !ours.containsKey(o)).forEach(o -> changes.add("without " + o));
            return changes.isEmpty() ? "nothing" : String.join(", ", changes);
        }
    }

    /** The model a step writes, under the study's folder. */
    public static Path modelOf(Path folder, String step) {
        return folder.resolve(step).resolve("student.zip");
    }

    public static Path studiesFolder(Path home) {
        return home.resolve("resnets").resolve("studies");
    }

    /** Where a study keeps its finished steps by default, committed: {@code resnets/results/NAME/} (see the runner). */
    public static Path keptFolder(Path home, String name) {
        return home.resolve("resnets").resolve("results").resolve(name);
    }

    /** The step called {@code name}; a one-line error naming the study when it has none. */
    public Step step(String name) {
        return steps.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("study " + this.name + " has no step '" + name + "'"));
    }

    public static Path recipesFolder(Path home) {
        return home.resolve("resnets").resolve("recipes");
    }

    /** The names of the studies under {@code resnets/studies/}. */
    public static List<String> available(Path home) {
        Path dir = studiesFolder(home);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".properties"))
                    .map(n -> n.substring(0, n.length() - ".properties".length())).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The study {@code name} of {@code home}; one-line errors naming the file or the study. */
    public static Study load(Path home, String name) {
        return load(home, name, false);
    }

    /** The study, as run with {@code --quick} when {@code quick} ({@code quick.step.NAME} replaces {@code step.NAME}). */
    public static Study load(Path home, String name, boolean quick) {
        Path file = studiesFolder(home).resolve(name + ".properties");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no study '" + name + "' (" + file + "); studies: "
                    + String.join(", ", available(home)));
        }
        Properties p = properties(file);
        if (quick && p.getProperty("quick.flags") == null) {
            throw new IllegalArgumentException("--quick: study " + name + " has no smoke version (no quick.flags in "
                    + file + "); run it without --quick");
        }
        return fromSteps(name, p, file, steps(home, p, file, quick));
    }

    /** The steps in order, each checked: its name, its recipe and flags, and that it uses only earlier steps. */
    private static List<Step> steps(Path home, Properties p, Path file, boolean quick) {
        List<String> names = split(required(p, "steps", file), ",");
        Set<String> seen = new LinkedHashSet<>();
        List<Step> steps = new ArrayList<>();
        for (String step : names) {
            if (!step.matches("[A-Za-z0-9._-]+")) {
                throw new IllegalArgumentException("study " + file + ": step name '" + step
                        + "' may only hold letters, digits, '.', '_' and '-'");
            }
            String key = quick && p.getProperty("quick.step." + step) != null ? "quick.step." + step : "step." + step;
            List<String> words = split(required(p, key, file), " ");
            Step s = new Step(step, words.get(0), words.subList(1, words.size()));
            Path recipe = recipesFolder(home).resolve(s.recipe() + ".properties");
            if (!Files.isRegularFile(recipe)) {
                throw new IllegalArgumentException("study " + file + ": step " + step + " names recipe " + recipe
                        + ", which does not exist");
            }
            try {
                SettingKeys.fromRecipe(recipe);
                SettingKeys.fromFlags(s.flags(), "step " + step);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("study " + file + ": " + e.getMessage());
            }
            for (String used : s.uses()) {
                if (!seen.contains(used)) {
                    throw new IllegalArgumentException("study " + file + ": step " + step + " uses @" + used
                            + ", which is not an earlier step");
                }
            }
            if (!seen.add(step)) {
                throw new IllegalArgumentException("study " + file + ": step " + step + " is listed twice");
            }
            steps.add(s);
        }
        return steps;
    }

    /** The study's file as properties; one line naming it when it cannot be read. */
    private static Properties properties(Path file) {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("study " + file + " is not a properties file: " + e.getMessage());
        }
        return p;
    }

    /** The study of these checked steps: its roles, flags, reference figures, report and kept models, each checked. */
    private static Study fromSteps(String name, Properties p, Path file, List<Step> steps) {
        Set<String> seen = new LinkedHashSet<>(steps.stream().map(Step::name).toList());
        String teacher = required(p, "teacher", file);
        String fp = required(p, "fp-student", file);
        for (String role : List.of(teacher, fp)) {
            if (!seen.contains(role)) {
                throw new IllegalArgumentException("study " + file + ": '" + role + "' is not one of its steps");
            }
        }
        String repeat = p.getProperty("repeat", "").trim();
        if (!repeat.isEmpty() && !seen.contains(repeat)) {
            throw new IllegalArgumentException("study " + file + ": repeat '" + repeat + "' is not one of its steps");
        }
        List<String> flags = split(p.getProperty("flags", ""), " ");
        List<String> quickFlags = split(p.getProperty("quick.flags", p.getProperty("flags", "")), " ");
        checkOptions(steps, flags, quickFlags, file);
        for (List<String> given : List.of(flags, quickFlags)) {
            try {
                SettingKeys.fromFlags(given, "the study's flags");
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("study " + file + ": " + e.getMessage());
            }
        }
        Reference reference = reference(p, file, seen);
        checkTrials(reference, steps, List.of(teacher, fp), file);
        return new Study(name, p.getProperty("title", name).trim(), List.copyOf(steps), flags, quickFlags, teacher, fp,
                repeat.isEmpty() ? null : repeat, reference, StudyResults.Kind.parse(p.getProperty("report", ""), file),
                keepModels(p, file, seen));
    }

    /** {@code keep-models}: steps whose models are kept for good (e.g. what the main job starts from). */
    private static List<String> keepModels(Properties p, Path file, Set<String> steps) {
        List<String> keep = split(p.getProperty("keep-models", ""), ",");
        for (String step : keep) {
            if (!steps.contains(step)) {
                throw new IllegalArgumentException("study " + file + ": keep-models names '" + step
                        + "', which is not one of its steps");
            }
        }
        return keep;
    }

    /** Every step's options, with the study's flags and quick flags, give each option once. */
    private static void checkOptions(List<Step> steps, List<String> flags, List<String> quickFlags, Path file) {
        for (Step s : steps) {
            try {
                s.options(flags);
                s.options(quickFlags);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("study " + file + ": " + e.getMessage());
            }
        }
    }

    /**
     * A trial only tries: it has no reference figure of its own, is neither the teacher nor the full-precision
     * student, and no other step starts from its model (which would carry it into a cell).
     */
    private static void checkTrials(Reference reference, List<Step> steps, List<String> roles, Path file) {
        for (String trial : reference.trials().keySet()) {
            String why = reference.top1().containsKey(trial) ? "has its own " + REFERENCE_TOP1 + trial
                    : roles.contains(trial) ? "is the study's teacher or full-precision student"
                    : steps.stream().filter(s -> s.uses().contains(trial)).map(s -> "is used by step " + s.name())
                            .findFirst().orElse(null);
            if (why != null) {
                throw new IllegalArgumentException("study " + file + ": " + REFERENCE_TRIAL + trial + ": the trial " + why
                        + "; a trial only tries to bring another step to its reference figure");
            }
        }
    }

    private static final String REFERENCE_TOP1 = "reference.top1.";
    private static final String REFERENCE_TRIAL = "reference.trial.";
    private static final List<String> REFERENCE_KEYS = List.of("reference.source", "reference.tried");

    /** The optional {@code reference.*} entries; one-line errors naming the file and the key. */
    private static Reference reference(Properties p, Path file, Set<String> steps) {
        Map<String, Double> top1 = new LinkedHashMap<>();
        for (String step : steps) { // in step order
            String v = p.getProperty(REFERENCE_TOP1 + step);
            if (v != null) {
                top1.put(step, percent(v.trim(), REFERENCE_TOP1 + step, file));
            }
        }
        for (String key : p.stringPropertyNames()) {
            String prefix = key.startsWith(REFERENCE_TOP1) ? REFERENCE_TOP1
                    : key.startsWith(REFERENCE_TRIAL) ? REFERENCE_TRIAL : null;
            boolean perStep = prefix != null;
            if (perStep && !steps.contains(key.substring(prefix.length()))) {
                throw new IllegalArgumentException("study " + file + ": " + key + " names no step of the study");
            }
            if (key.startsWith("reference.") && !perStep && !REFERENCE_KEYS.contains(key)) {
                throw new IllegalArgumentException("study " + file + ": unknown key " + key + " (reference keys: "
                        + String.join(", ", REFERENCE_KEYS) + ", " + REFERENCE_TOP1 + "STEP, " + REFERENCE_TRIAL + "STEP)");
            }
        }
        Map<String, String> trials = trials(p, file, steps, top1);
        if (top1.isEmpty()) {
            return Reference.NONE;
        }
        return new Reference(p.getProperty("reference.source", "").trim(), java.util.Collections.unmodifiableMap(top1),
                p.getProperty("reference.tried", "").trim(), java.util.Collections.unmodifiableMap(trials));
    }

    /** {@code reference.trial.STEP = TRIED}, in step order: each trial must try a step that has a reference figure. */
    private static Map<String, String> trials(Properties p, Path file, Set<String> steps, Map<String, Double> top1) {
        Map<String, String> trials = new LinkedHashMap<>();
        for (String step : steps) {
            String tried = p.getProperty(REFERENCE_TRIAL + step);
            if (tried == null) {
                continue;
            }
            if (tried.trim().equals(step)) {
                throw new IllegalArgumentException("study " + file + ": " + REFERENCE_TRIAL + step + " tries itself; "
                        + "name the step whose reference figure it tries to reach");
            }
            if (!top1.containsKey(tried.trim())) {
                throw new IllegalArgumentException("study " + file + ": " + REFERENCE_TRIAL + step + " = '" + tried.trim()
                        + "' names no step with a " + REFERENCE_TOP1 + "STEP figure");
            }
            trials.put(step, tried.trim());
        }
        return trials;
    }

    private static double percent(String v, String key, Path file) {
        try {
            double d = Double.parseDouble(v);
            if (d >= 0 && d <= 100) {
                return d;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new IllegalArgumentException("study " + file + ": " + key + " = " + v
                + " is not a test top-1 in percent (0 to 100)");
    }

    private static String required(Properties p, String key, Path file) {
        String v = p.getProperty(key);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("study " + file + " has no '" + key + "'");
        }
        return v.trim();
    }

    private static List<String> split(String s, String separator) {
        return Arrays.stream(s.trim().split(separator.equals(",") ? "\\s*,\\s*" : "\\s+"))
                .filter(w -> !w.isBlank()).toList();
    }
}
