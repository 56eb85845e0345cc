package org.apprentice.data;

import java.util.List;
import org.apprentice.io.Sha256;
import org.apprentice.model.InputShape;

/**
 * What a run's data is, as the model store keys a trained model by it: the class names in label order, a SHA-256
 * of the content ({@link DataSource#fingerprint()}: the images' bytes for in-memory sets; every file's path relative
 * to the data folder, its size and its split for image folders), the training subset with the seed that drew it
 * (0 and 0 for the whole split), and the input shape. Two folders with the same name but other content have other
 * keys; the same folder moved or renamed keeps its key.
 */
public record DataKey(List<String> classes, String contentSha256, int trainSubset, long subsetSeed, InputShape input) {
    public DataKey {
        classes = List.copyOf(classes);
        if (trainSubset == 0 && subsetSeed != 0) {
            throw new IllegalArgumentException("the whole training split is drawn by no seed");
        }
    }

    /** A SHA-256 of every field, hex: two keys are equal exactly when their digests are (up to SHA-256). */
    public String digest() {
        List<String> lines = new java.util.ArrayList<>();
        lines.add("content " + contentSha256);
        lines.add("subset " + trainSubset + " seed " + subsetSeed);
        lines.add("input " + input.channels() + "," + input.height() + "," + input.width());
        classes.forEach(c -> lines.add("class " + c));
        return Sha256.ofLines(lines);
    }
}
