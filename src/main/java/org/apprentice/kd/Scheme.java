package org.apprentice.kd;

import org.apprentice.io.FlagValues;

/** The paper's three ways of distilling into a low-precision apprentice, and plain training. */
public enum Scheme {
    /** No teacher: full-precision training (teachers, scheme-C starting points) or the low-precision control. */
    NONE("no distillation"),
    /** Teacher and apprentice trained jointly from scratch; the teacher learns from its α term only. */
    A("joint training"),
    /** A trained teacher, frozen, guides an apprentice trained from scratch. */
    B("distillation from a trained teacher"),
    /** A trained full-precision student is lowered to low precision and fine-tuned with the teacher's guidance. */
    C("lower a trained model, then fine-tune");

    private final String description;

    Scheme(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }

    public boolean needsTeacher() {
        return this != NONE;
    }

    /** The flag's spelling: none, A, B, C. */
    public String flag() {
        return this == NONE ? "none" : name();
    }

    /** Parses A, B, C or none (any case); the error lists the allowed values. */
    public static Scheme parse(String text) {
        return FlagValues.parse("--scheme", text, values(), Scheme::flag);
    }
}
