package org.apprentice.kd;

import org.apprentice.io.FlagValues;

/**
 * The paper's three ways of distilling into a low-precision apprentice, plain training, and scheme C's control:
 * what a run trains, one value each (the control is its own value, not scheme C with a switch beside it).
 */
public enum Scheme {
    /** No teacher: full-precision training (teachers, scheme-C starting points) or the low-precision control. */
    NONE("no distillation"),
    /** Teacher and apprentice trained jointly from scratch; the teacher learns from its α term only. */
    A("joint training"),
    /** A trained teacher, frozen, guides an apprentice trained from scratch. */
    B("distillation from a trained teacher"),
    /** A trained full-precision student is lowered to low precision and fine-tuned with the teacher's guidance. */
    C("lower a trained model, then fine-tune"),
    /**
     * Scheme C's control: the trained full-precision student lowered, then fine-tuned with the same schedule and no
     * teacher, to tell what distillation adds from what the extra epochs add.
     */
    C_CONTROL("lower a trained model, then fine-tune without a teacher: scheme C's control");

    private final String description;

    Scheme(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }

    /** A teacher guides the student: schemes A, B and C. */
    public boolean needsTeacher() {
        return this == A || this == B || this == C;
    }

    /** A trained, frozen teacher guides the student: schemes B and C. */
    public boolean hasFrozenTeacher() {
        return this == B || this == C;
    }

    /** The student starts as a trained full-precision model lowered to its precision: scheme C and its control. */
    public boolean lowersTrainedModel() {
        return this == C || this == C_CONTROL;
    }

    /** The flag's spelling: none, A, B, C, C-control. */
    public String flag() {
        return switch (this) {
            case NONE -> "none";
            case C_CONTROL -> "C-control";
            default -> name();
        };
    }

    /** Parses none, A, B, C or C-control (any case); the error lists the allowed values. */
    public static Scheme parse(String text) {
        return FlagValues.parse("--scheme", text, values(), Scheme::flag);
    }
}
