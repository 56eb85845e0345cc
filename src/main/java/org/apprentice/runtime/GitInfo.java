package org.apprentice.runtime;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** The git commit a project folder is checked out at, for provenance; null outside a git checkout. */
public final class GitInfo {
    private GitInfo() {
    }

    /** The full commit hash of HEAD, or null. */
    public static String commit(Path home) {
        return git(home, "rev-parse", "HEAD");
    }

    /** Whether tracked files differ from HEAD; null outside git. */
    public static Boolean dirty(Path home) {
        String status = git(home, "status", "--porcelain", "--untracked-files=no");
        return status == null ? null : !status.isBlank();
    }

    /** The commit, with " (+ uncommitted changes)" when tracked files differ; null outside git. */
    public static String describe(Path home) {
        String commit = commit(home);
        return commit == null ? null : commit + (Boolean.TRUE.equals(dirty(home)) ? " (+ uncommitted changes)" : "");
    }

    private static String git(Path home, String... args) {
        try {
            String[] command = new String[args.length + 3];
            command[0] = "git";
            command[1] = "-C";
            command[2] = home.toString();
            System.arraycopy(args, 0, command, 3, args.length);
            java.io.File log = java.io.File.createTempFile("apprentice-git", ".log");
            try {
                Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    return null;
                }
                return process.exitValue() == 0 ? java.nio.file.Files.readString(log.toPath()).trim() : null;
            } finally {
                log.delete();
            }
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
