package org.apprentice.study;

/** A column of a study's tables: no distillation, a scheme, or scheme C's no-teacher control. */
enum Column {
    NONE("no distillation"),
    A("scheme A"),
    B("scheme B"),
    C("scheme C"),
    C_CONTROL("C's control");

    private final String header;

    Column(String header) {
        this.header = header;
    }

    String header() {
        return header;
    }

    /** How the findings name it: none, A, B, C, C's control. */
    String flag() {
        return switch (this) {
            case NONE -> "none";
            case C_CONTROL -> "C's control";
            default -> name();
        };
    }

    /** The control a column's gain is measured against: none for A and B, C's control for C. */
    Column control() {
        return this == C ? C_CONTROL : NONE;
    }

    static Column of(StepResult r) {
        return switch (r.scheme()) {
            case NONE -> NONE;
            case A -> A;
            case B -> B;
            case C -> C;
            case C_CONTROL -> C_CONTROL;
        };
    }
}
