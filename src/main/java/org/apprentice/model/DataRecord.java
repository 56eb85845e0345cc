package org.apprentice.model;

import java.util.List;

/**
 * What a model file records about the data its model was made for, or what a run's data is: the class names in
 * label order, the input shape, and the normalization from pixels in [0, 1]; each null where a file records none
 * (files written before it was recorded, state dicts from elsewhere).
 */
public record DataRecord(List<String> classNames, InputShape input, Normalization normalization) {
    public DataRecord {
        classNames = classNames == null ? null : List.copyOf(classNames);
    }

    /** Nothing recorded. */
    public static final DataRecord NONE = new DataRecord(null, null, null);
}
