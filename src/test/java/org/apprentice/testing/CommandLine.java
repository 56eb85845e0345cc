package org.apprentice.testing;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.apprentice.cli.Main;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The {@code apprentice} command line in a test: each test runs with the project home ({@code apprentice.home}: model
 * store, default run folders, recipes) in a folder of its own, restored after; {@link #run} runs a command and keeps
 * what it printed. Registered with {@code @RegisterExtension}.
 */
public final class CommandLine implements BeforeEachCallback, AfterEachCallback {
    private static final String HOME = "apprentice.home";

    private final Supplier<Path> home;
    private String saved;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    /** {@code home} is read before each test (a {@code @TempDir} field is set by then). */
    public CommandLine(Supplier<Path> home) {
        this.home = home;
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        saved = System.getProperty(HOME);
        System.setProperty(HOME, home.get().toString());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (saved == null) {
            System.clearProperty(HOME);
        } else {
            System.setProperty(HOME, saved);
        }
    }

    /** Runs {@code apprentice ARGS}; returns its exit status; {@link #out} and {@link #err} hold what it printed. */
    public int run(String... args) {
        out.reset();
        err.reset();
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    public String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    public String err() {
        return err.toString(StandardCharsets.UTF_8);
    }
}
