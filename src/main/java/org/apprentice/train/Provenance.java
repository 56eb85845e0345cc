package org.apprentice.train;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apprentice.runtime.Backend;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * Where a model came from, written as JSON beside it: the run's resolved settings, the git commit and
 * whether the tree was dirty, library, Java and OS versions, the backend, the seed, and SHA-256 hashes
 * of the data and of the teacher and initial-student zips.
 */
public final class Provenance {
    private Provenance() {
    }

    public static void write(File model, RunSettings settings, String dataFingerprint, Path home) throws IOException {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("model", model.getName());
        p.put("settings", settings.identity());
        p.put("epochs", settings.epochs());
        Map<String, Object> code = new LinkedHashMap<>();
        code.put("gitCommit", git(home, "rev-parse", "HEAD"));
        String status = git(home, "status", "--porcelain", "--untracked-files=no");
        code.put("gitDirty", status == null ? null : !status.isBlank());
        java.util.Properties versions = new java.util.Properties();
        try (InputStream in = Provenance.class.getResourceAsStream("/apprentice.properties")) {
            if (in != null) {
                versions.load(in);
            }
        }
        code.put("apprentice", versions.getProperty("apprentice.version"));
        code.put("dl4j", versions.getProperty("dl4j.version"));
        code.put("nd4j", versions.getProperty("dl4j.version"));
        code.put("java", System.getProperty("java.version"));
        code.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        code.put("backend", Backend.name() + (Backend.oneDnnEnabled() ? " (oneDNN)" : ""));
        p.put("environment", code);
        Map<String, Object> inputs = new LinkedHashMap<>();
        inputs.put("dataSha256", dataFingerprint);
        inputs.put("teacherModelSha256", settings.teacherModel() == null ? null : sha256(settings.teacherModel().toPath()));
        inputs.put("studentInitSha256", settings.studentInit() == null ? null : sha256(settings.studentInit().toPath()));
        p.put("inputs", inputs);
        Path json = model.toPath().resolveSibling(model.getName().replaceAll("\\.zip$", "") + ".json");
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(json.toFile(), p);
    }

    /** SHA-256 of a file's bytes, hex. */
    public static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SHA-256 over text lines (e.g. "path size" of every image of a folder). */
    public static String sha256(Iterable<String> lines) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (String line : lines) {
                digest.update((line + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The checked-out commit of {@code home}, with " (+ uncommitted changes)" when tracked files differ; null outside git. */
    public static String gitCommit(Path home) {
        String commit = git(home, "rev-parse", "HEAD");
        if (commit == null) {
            return null;
        }
        String status = git(home, "status", "--porcelain", "--untracked-files=no");
        return commit + (status != null && !status.isBlank() ? " (+ uncommitted changes)" : "");
    }

    private static String git(Path home, String... args) {
        try {
            String[] command = new String[args.length + 3];
            command[0] = "git";
            command[1] = "-C";
            command[2] = home.toString();
            System.arraycopy(args, 0, command, 3, args.length);
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(process.getInputStream().readAllBytes()).trim();
            return process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0 ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
