package org.apprentice.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * Recipes: properties files under {@code resnets/recipes/} that fix a run, one per configuration. Keys
 * are the train command's flag names without dashes ({@code scheme = B}, {@code student = resnet20},
 * {@code cache-teacher-logits = true}); flags given on the command line override recipe fields.
 */
final class Recipes {
    private Recipes() {
    }

    /** {@code args} with {@code --recipe FILE} replaced by the recipe's fields the command line does not set. */
    static String[] expand(String[] args, Path home) {
        List<String> given = new ArrayList<>(Arrays.asList(args));
        int at = given.indexOf("--recipe");
        if (at < 0) {
            return args;
        }
        if (at + 1 >= given.size()) {
            throw new IllegalArgumentException("--recipe needs a file (e.g. resnets/recipes/fashion-mnist-b-w2a4.properties)");
        }
        Path file = Path.of(given.get(at + 1));
        if (!Files.isRegularFile(file) && Files.isRegularFile(home.resolve(file))) {
            file = home.resolve(file);
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--recipe " + file + " does not exist");
        }
        Properties recipe = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            recipe.load(in);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("--recipe " + file + " is not a properties file: " + e.getMessage());
        }
        given.remove(at + 1);
        given.remove(at);
        List<String> expanded = new ArrayList<>();
        int command = given.isEmpty() ? 0 : 1; // keep the command name first
        expanded.addAll(given.subList(0, command));
        for (String key : recipe.stringPropertyNames().stream().sorted().toList()) {
            String flag = "--" + key.trim();
            if (given.contains(flag)) {
                continue; // the command line wins
            }
            String value = recipe.getProperty(key).trim();
            if (value.equalsIgnoreCase("true")) {
                expanded.add(flag);
            } else if (!value.equalsIgnoreCase("false")) {
                expanded.add(flag);
                expanded.add(value);
            }
        }
        expanded.addAll(given.subList(command, given.size()));
        return expanded.toArray(new String[0]);
    }
}
