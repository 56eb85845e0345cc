package org.apprentice.train;

/** Range checks of the settings, each refusing a value in one line that names its flag. */
final class Checks {
    private Checks() {
    }

    static void positive(String flag, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(flag + " must be a positive number, got " + value);
        }
    }

    static void atLeastZero(String flag, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(flag + " must be 0 or more, got " + value);
        }
    }

    static void atLeast(String flag, long value, long min) {
        if (value < min) {
            throw new IllegalArgumentException(flag + " must be " + min + " or more, got " + value);
        }
    }
}
