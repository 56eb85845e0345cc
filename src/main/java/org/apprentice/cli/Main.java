package org.apprentice.cli;

import com.beust.jcommander.JCommander;
import com.beust.jcommander.Parameter;
import com.beust.jcommander.ParameterException;
import java.io.PrintStream;
import java.nio.file.Path;
import org.apprentice.io.FileErrors;

/** The {@code apprentice} command line: parses flags with jcommander and hands over to a command. */
public final class Main {
    /** Exit status for a wrong flag or value, as most Unix tools use. */
    public static final int USAGE_ERROR = 2;

    @Parameter(names = {"-h", "--help"}, help = true, description = "Show this help")
    private boolean help;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    private final SummaryCommand summary = new SummaryCommand();
    private final BenchCommand bench = new BenchCommand();
    private final TrainCommand train = new TrainCommand();
    private final EvalCommand eval = new EvalCommand();
    private final ExportCommand export = new ExportCommand();
    private final PredictCommand predict = new PredictCommand();
    private final DefaultJob defaultJob = new DefaultJob();
    private final ReproduceCommand reproduce = new ReproduceCommand();
    private final CompressCommand compress = new CompressCommand();

    /** Runs the command line and returns the exit status (0 ok, 1 failure, 2 usage error). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Main main = new Main();
        JCommander commander = main.commander();
        try {
            args = withDefaultCommand(args);
            commander.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("apprentice: " + firstLine(e));
            return USAGE_ERROR;
        } catch (ParameterException e) {
            err.println("apprentice: " + usageMessage(e, commander, args) + " (see apprentice --help)");
            return USAGE_ERROR;
        }
        if (main.help) {
            StringBuilder usage = new StringBuilder();
            commander.getUsageFormatter().usage(usage);
            out.print(usage);
            return 0;
        }
        try {
            return main.execute(commander.getParsedCommand(), projectHome(), out, err, args);
        } catch (java.io.IOException | RuntimeException | OutOfMemoryError e) {
            return failure(e, err);
        }
    }

    private JCommander commander() {
        return JCommander.newBuilder().programName("apprentice").addObject(this)
                .addCommand("train", train)
                .addCommand("demo", new DemoCommand())
                .addCommand("reproduce", reproduce)
                .addCommand("compress", compress)
                .addCommand("eval", eval)
                .addCommand("export", export)
                .addCommand("predict", predict)
                .addCommand("summary", summary)
                .addCommand("bench", bench)
                .build();
    }

    /** Training is the default command: {@code apprentice --scheme C --student resnet50 --bits 2}. */
    private static String[] withDefaultCommand(String[] args) {
        if (args.length == 0 || !args[0].startsWith("-") || args[0].equals("-h") || args[0].equals("--help")) {
            return args;
        }
        String[] withCommand = new String[args.length + 1];
        withCommand[0] = "train";
        System.arraycopy(args, 0, withCommand, 1, args.length);
        return withCommand;
    }

    private int execute(String command, Path home, PrintStream out, PrintStream err, String[] args)
            throws java.io.IOException {
        if (command == null) {
            return defaultJob.run(home, out);
        }
        return switch (command) {
            case "train" -> train.run(home, out, java.util.Arrays.asList(args).subList(1, args.length));
            case "demo" -> defaultJob.run(home, out);
            case "reproduce" -> reproduce.run(home, out);
            case "compress" -> compress.run(home, out);
            case "eval" -> eval.run(home, out);
            case "export" -> export.run(out);
            case "predict" -> predict.run(out, err);
            case "summary" -> summary.run(out);
            case "bench" -> bench.run(home, out);
            default -> throw new IllegalStateException("unhandled command " + command);
        };
    }

    /** One line for a failed command, and its exit status: 2 for a bad value, 1 for anything else. */
    static int failure(Throwable e, PrintStream err) {
        if (e instanceof IllegalArgumentException) {
            err.println("apprentice: " + firstLine(e));
            return USAGE_ERROR;
        }
        if (e instanceof java.io.IOException io) {
            err.println("apprentice: " + FileErrors.describe(io));
        } else if (e instanceof java.io.UncheckedIOException io) {
            err.println("apprentice: " + FileErrors.describe(io.getCause()));
        } else if (e instanceof IllegalStateException || e instanceof UnsupportedOperationException) {
            err.println("apprentice: " + firstLine(e));
        } else {
            // not a message of ours: say what failed in one line; the stack trace only when asked for
            err.println("apprentice: unexpected " + e.getClass().getSimpleName() + ": " + firstLine(e)
                    + " (rerun with APPRENTICE_JAVA_OPTS=-D" + DEBUG + "=true for the stack trace)");
            if (Boolean.getBoolean(DEBUG)) {
                e.printStackTrace(err);
            }
        }
        return 1;
    }

    /** Set to true to print the stack trace of an unexpected error. */
    static final String DEBUG = "apprentice.debug";

    /** The first line of an error's message (with its cause's when it has none of its own). */
    static String firstLine(Throwable e) {
        String message = e.getMessage() != null ? e.getMessage()
                : e.getCause() != null && e.getCause().getMessage() != null ? e.getCause().getMessage()
                : e.getClass().getSimpleName();
        return message.lines().findFirst().orElse("").strip();
    }

    /** jcommander's message, reworded where it is cryptic, with the allowed options named. */
    static String usageMessage(ParameterException e, JCommander commander, String[] args) {
        String message = String.valueOf(e.getMessage());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("Was passed main parameter '([^']*)'")
                .matcher(message);
        if (!m.find()) {
            return message.replace("Expected a command, got ", "unknown command: ")
                    + (message.startsWith("Expected a command") ? "; commands: " + String.join(", ",
                    commander.getCommands().keySet()) : "");
        }
        JCommander scope = commander;
        String where = "";
        for (String arg : args) {
            if (commander.getCommands().containsKey(arg)) {
                scope = commander.getCommands().get(arg);
                where = " for '" + arg + "'";
                break;
            }
        }
        String allowed = scope.getParameters().stream().map(p -> p.getNames()).sorted()
                .collect(java.util.stream.Collectors.joining(", "));
        return "unknown option or value '" + m.group(1) + "'" + where + "; allowed: " + allowed;
    }

    /** The project folder: set by bin/apprentice, else the working directory. */
    public static Path projectHome() {
        return Path.of(System.getProperty("apprentice.home", ".")).toAbsolutePath().normalize();
    }
}
