package org.apprentice.io;

import java.util.Arrays;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Parses a flag's value into one of a set of named values, refusing anything else in one line. */
public final class FlagValues {
    private FlagValues() {
    }

    /**
     * The value among {@code values} whose {@code spelling} equals {@code text} (any case, trimmed); else an
     * error naming {@code flag}, the text and the allowed spellings.
     */
    public static <E> E parse(String flag, String text, E[] values, Function<E, String> spelling) {
        String given = text == null ? "" : text.trim();
        for (E value : values) {
            if (spelling.apply(value).equalsIgnoreCase(given)) {
                return value;
            }
        }
        throw new IllegalArgumentException(flag + " '" + text + "' is not one of "
                + Arrays.stream(values).map(spelling).collect(Collectors.joining(", ")));
    }
}
